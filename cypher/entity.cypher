// An entity's profile: how many papers relate to it, by relationship type.
// example: paperkg entity GSM8K
// argument: key  the entity's name or any alias
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (p:Paper)-[r]->(e:Entity)
WHERE $key IN e.keys
RETURN e.name AS name, e.aliases AS aliases, type(r) AS relation, count(DISTINCT p) AS papers
ORDER BY relation
