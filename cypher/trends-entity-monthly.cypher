// Papers that use or evaluate on an entity, per month of their date (papers dated to the month or day).
// example: paperkg trends-entity-monthly ImageNet
// argument: key  the entity's name or any alias (gsm-8k finds GSM8K)
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (p:Paper)-[:USES|EVALUATES_ON]->(e:Entity)
WHERE $key IN e.keys AND p.month IS NOT NULL
RETURN p.month AS period, count(DISTINCT p) AS papers
ORDER BY period
