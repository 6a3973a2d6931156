// Dated papers per year (or month): what the papers using an entity are a share of.
// example: paperkg trends-papers --by year
// option: by=year  year or month (a month counts only papers dated to the month or day)
MATCH (p:Paper)
WHERE size(p.date) >= CASE $by WHEN 'month' THEN 7 WHEN 'year' THEN 4 END
RETURN substring(p.date, 0, CASE $by WHEN 'month' THEN 7 WHEN 'year' THEN 4 END) AS period, count(p) AS papers
ORDER BY period
