-- trends-entity.cypher on a SQLite store (paperkg.graph.sqlite_store): the same rows, in the same order.
-- node_key finds the entities one of whose keys is :key (an entity is a node neither Paper nor Result);
-- CROSS JOIN keeps them the outer loop (the planner, knowing no sizes, would scan every relationship
-- of the types). A paper using two entities of the key (CLIP the model and the method) counts once.
SELECT json_extract(p.props, '$.year') AS period, count(DISTINCT p.id) AS papers
FROM node_key k
CROSS JOIN node e ON e.id = k.node AND e.label NOT IN ('Paper', 'Result')
CROSS JOIN rel r ON r.end = e.id AND r.type IN ('USES', 'EVALUATES_ON')
CROSS JOIN node p ON p.id = r.start AND p.label = 'Paper'
WHERE k.key = :key AND json_extract(p.props, '$.year') IS NOT NULL
GROUP BY period
ORDER BY period
