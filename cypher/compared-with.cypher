// What an entity is compared with: the baselines its papers report against it, and the outcome.
// `direction` is what the entity is claimed to be against the baseline: better, worse, on_par,
// not_better (does not outperform, fails to beat) or compared (compared with it, no claim).
// example: paperkg compared-with Step-DPO
// argument: key  the entity's name or any alias
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (e:Entity)-[r:COMPARES_WITH]->(b:Entity)
WHERE $key IN e.keys
RETURN b.name AS baseline, r.paper AS paper, r.direction AS direction, r.evidence AS evidence
ORDER BY baseline, paper
