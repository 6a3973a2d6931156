-- papers-using.cypher on a SQLite store (paperkg.graph.sqlite_store): the same rows, in the same order.
-- node_key finds the entities one of whose keys is :key (an entity is a node neither Paper nor Result);
-- CROSS JOIN keeps them the outer loop (the planner, knowing no sizes, would scan every relationship
-- of the types). A paper's types are collected in the order of its relationships' keys ("TYPE|paper").
SELECT id, title, json_group_array(type) AS "relations [json]"
FROM (SELECT DISTINCT p.id AS id, json_extract(p.props, '$.title') AS title, r.type AS type
      FROM node_key k
      CROSS JOIN node e ON e.id = k.node AND e.label NOT IN ('Paper', 'Result')
      CROSS JOIN rel r ON r.end = e.id AND r.type IN ('USES', 'EVALUATES_ON')
      CROSS JOIN node p ON p.id = r.start AND p.label = 'Paper'
      WHERE k.key = :key
      ORDER BY id, type)
GROUP BY id
ORDER BY title IS NULL, title, id
