// The most used datasets and benchmarks: papers that use or evaluate on each.
// example: paperkg top-datasets --limit 10
// option: limit=20  how many rows
MATCH (p:Paper)-[:USES|EVALUATES_ON]->(e:Entity)
WHERE e:Dataset OR e:Benchmark
RETURN e.name AS name, count(DISTINCT p) AS papers
ORDER BY papers DESC, name
LIMIT $limit
