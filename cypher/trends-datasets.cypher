// Papers that use or evaluate on each dataset and benchmark, per year: what trends --rising ranks.
// example: paperkg trends-datasets --csv
MATCH (p:Paper)-[:USES|EVALUATES_ON]->(e:Entity)
WHERE (e:Dataset OR e:Benchmark) AND p.year IS NOT NULL
RETURN e.name AS name, p.year AS period, count(DISTINCT p) AS papers
ORDER BY name, period
