// Datasets and benchmarks used by the papers that name an entity: "which datasets do RL papers use?".
// example: paperkg datasets-used-with "reinforcement learning"
// argument: key  the entity's name or any alias
// scope: 2  relationships from the entity named by $key that the pattern reaches
// option: limit=20  how many rows
MATCH (m:Entity)<-[:MENTIONS]-(p:Paper)-[:USES|EVALUATES_ON]->(d:Entity)
WHERE $key IN m.keys AND (d:Dataset OR d:Benchmark) AND d <> m
RETURN d.name AS name, count(DISTINCT p) AS papers
ORDER BY papers DESC, name
LIMIT $limit
