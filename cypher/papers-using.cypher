// Papers that use or evaluate on an entity: a dataset, benchmark, model or method.
// example: paperkg papers-using GSM8K
// argument: key  the entity's name or any alias (gsm-8k finds GSM8K)
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (p:Paper)-[r:USES|EVALUATES_ON]->(e:Entity)
WHERE $key IN e.keys
RETURN p.id AS id, p.title AS title, collect(DISTINCT type(r)) AS relations
ORDER BY title, id
