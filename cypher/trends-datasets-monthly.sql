-- trends-datasets-monthly.cypher on a SQLite store (paperkg.graph.sqlite_store): the same rows, in the same order.
-- rel_type finds the USES and EVALUATES_ON relationships; grouped by name and month, as the Cypher's RETURN is.
SELECT json_extract(e.props, '$.name') AS name, json_extract(p.props, '$.month') AS period,
       count(DISTINCT p.id) AS papers
FROM rel r
JOIN node p ON p.id = r.start AND p.label = 'Paper'
JOIN node e ON e.id = r.end AND e.label IN ('Dataset', 'Benchmark')
WHERE r.type IN ('USES', 'EVALUATES_ON') AND json_extract(p.props, '$.month') IS NOT NULL
GROUP BY name, period
ORDER BY name IS NULL, name, period
