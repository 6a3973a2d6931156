// Papers that use or evaluate on an entity, per year (or month) of their date.
// example: paperkg trends-entity ImageNet --by month
// argument: key  the entity's name or any alias (gsm-8k finds GSM8K)
// option: by=year  year or month (a month counts only papers dated to the month or day)
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (p:Paper)-[:USES|EVALUATES_ON]->(e:Entity)
WHERE $key IN e.keys AND size(p.date) >= CASE $by WHEN 'month' THEN 7 WHEN 'year' THEN 4 END
RETURN substring(p.date, 0, CASE $by WHEN 'month' THEN 7 WHEN 'year' THEN 4 END) AS period,
       count(DISTINCT p) AS papers
ORDER BY period
