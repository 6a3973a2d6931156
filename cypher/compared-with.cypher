// What an entity is compared with: the baselines its papers report against it.
// example: paperkg compared-with Step-DPO
// argument: key  the entity's name or any alias
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (e:Entity)-[r:COMPARES_WITH]->(b:Entity)
WHERE $key IN e.keys
RETURN b.name AS baseline, r.paper AS paper, r.evidence AS evidence
ORDER BY baseline, paper
