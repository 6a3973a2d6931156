// Papers that use or evaluate on each dataset and benchmark, per year (or month): what trends --rising ranks.
// example: paperkg trends-datasets --by year --csv
// option: by=year  year or month (a month counts only papers dated to the month or day)
MATCH (p:Paper)-[:USES|EVALUATES_ON]->(e:Entity)
WHERE (e:Dataset OR e:Benchmark) AND size(p.date) >= CASE $by WHEN 'month' THEN 7 WHEN 'year' THEN 4 END
RETURN e.name AS name, substring(p.date, 0, CASE $by WHEN 'month' THEN 7 WHEN 'year' THEN 4 END) AS period,
       count(DISTINCT p) AS papers
ORDER BY name, period
