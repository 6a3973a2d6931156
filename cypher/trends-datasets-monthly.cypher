// Papers that use or evaluate on each dataset and benchmark, per month (papers dated to the month or day).
// example: paperkg trends-datasets-monthly --csv
MATCH (p:Paper)-[:USES|EVALUATES_ON]->(e:Entity)
WHERE (e:Dataset OR e:Benchmark) AND p.month IS NOT NULL
RETURN e.name AS name, p.month AS period, count(DISTINCT p) AS papers
ORDER BY name, period
