// Dated papers per year: what the papers using an entity are a share of.
// example: paperkg trends-papers
MATCH (p:Paper)
WHERE p.year IS NOT NULL
RETURN p.year AS period, count(p) AS papers
ORDER BY period
