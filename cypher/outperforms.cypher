// What is compared against an entity as a baseline: "what outperforms DPO?".
// example: paperkg outperforms DPO
// argument: key  the baseline's name or any alias
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (challenger)-[r:COMPARES_WITH]->(e:Entity)
WHERE $key IN e.keys
RETURN coalesce(challenger.name, challenger.title) AS challenger, r.paper AS paper, r.evidence AS evidence
ORDER BY challenger, paper
