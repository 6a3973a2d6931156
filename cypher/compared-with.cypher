// What an entity is compared with, in either direction, and in which paper.
// example: paperkg compared-with DPO
// argument: key  the entity's name or any alias
MATCH (e:Entity)-[r:COMPARES_WITH]-(other:Entity)
WHERE $key IN e.keys
RETURN other.name AS entity, CASE WHEN startNode(r) = e THEN 'compared with it' ELSE 'compared against it' END AS direction, r.paper AS paper, r.evidence AS evidence
ORDER BY entity, paper
