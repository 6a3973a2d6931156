// Papers that propose an entity (a method, model, dataset or benchmark), with the evidence.
// example: paperkg papers-proposing Step-DPO
// argument: key  the entity's name or any alias
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (p:Paper)-[r:PROPOSES]->(e:Entity)
WHERE $key IN e.keys
RETURN p.id AS id, p.title AS title, r.evidence AS evidence
ORDER BY title, id
