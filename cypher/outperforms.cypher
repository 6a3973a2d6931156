// What is claimed better than an entity: "what outperforms DPO?".
// A COMPARES_WITH relationship's `direction` is what its head claims against its tail: better
// (outperforms, surpasses, beats), worse (trails, falls short of, cannot match), on_par (matches,
// comparable to), not_better (does not outperform, fails to beat) or compared (no claim). This
// lists the heads of `better` claims against the entity and the tails of its `worse` claims.
// example: paperkg outperforms DPO
// argument: key  the baseline's name or any alias
// scope: 1  relationships from the entity named by $key that the pattern reaches
MATCH (head)-[r:COMPARES_WITH]->(tail)
WHERE (r.direction = 'better' AND $key IN tail.keys) OR (r.direction = 'worse' AND $key IN head.keys)
RETURN CASE r.direction WHEN 'better' THEN coalesce(head.name, head.title) ELSE tail.name END AS challenger,
       r.paper AS paper, r.evidence AS evidence
ORDER BY challenger, paper
