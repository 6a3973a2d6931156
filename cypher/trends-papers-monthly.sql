-- trends-papers-monthly.cypher on a SQLite store (paperkg.graph.sqlite_store): the same rows, in the same order.
-- node_label finds the papers; each paper's month is read from its properties.
SELECT json_extract(props, '$.month') AS period, count(*) AS papers
FROM node
WHERE label = 'Paper' AND json_extract(props, '$.month') IS NOT NULL
GROUP BY period
ORDER BY period
