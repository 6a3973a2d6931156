// Datasets and benchmarks used by the papers that name an entity: "which datasets do RL papers use?".
// example: paperkg datasets-used-with "reinforcement learning"
// argument: key  the entity's name or any alias; a task or method also matches longer names ending in it ("offline reinforcement learning"; not for keys of 3 characters or fewer, which end too many acronyms)
// scope: 2  relationships from the entity named by $key that the pattern reaches
// option: limit=20  how many rows
MATCH (m:Entity)<-[:MENTIONS]-(p:Paper)-[:USES|EVALUATES_ON]->(d:Entity)
WHERE any(k IN m.keys WHERE k = $key OR (size($key) > 3 AND (m:Task OR m:Method) AND k ENDS WITH $key))
  AND (d:Dataset OR d:Benchmark) AND d <> m
RETURN d.name AS name, count(DISTINCT p) AS papers
ORDER BY papers DESC, name
LIMIT $limit
