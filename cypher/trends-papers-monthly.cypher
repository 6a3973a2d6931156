// Papers dated to the month or day, per month: what the papers using an entity are a share of.
// example: paperkg trends-papers-monthly
MATCH (p:Paper)
WHERE p.month IS NOT NULL
RETURN p.month AS period, count(p) AS papers
ORDER BY period
