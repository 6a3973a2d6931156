// An entity's profile: its type and aliases, and the papers related to it, by relationship.
// example: paperkg entity GSM8K
// argument: key  the entity's name or any alias
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (p:Paper)-[r]->(e:Entity)
WHERE $key IN e.keys
RETURN e.name AS name, [label IN labels(e) WHERE label <> 'Entity'][0] AS type,
       e.aliases AS aliases, type(r) AS relation, p.id AS paper, p.title AS title
ORDER BY relation, title, paper
