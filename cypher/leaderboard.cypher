// The scores reported on a benchmark or dataset, best first per metric; gains and relative changes are not listed.
// Only absolute scores are listed (a result's kind "absolute": "46.6 box AP"): gains and relative
// changes ("+2.1 points", "30% fewer errors") are not scores. Lower is better for error, perplexity,
// WER, FID and the like (`better` says which way each row ranks). `metric` is as written; a metric's
// rows are those of its name in any case ("Top-1 accuracy" is "top-1 accuracy", "top-1 acc" is
// another metric); rows naming no metric come last. `model` is the result's subject; for the paper's
// own approach ("our method reaches ...") it is the one model or method the paper proposes, else
// "(this paper)". `task` is the task the score is on, when the paper names one (the task its
// sentence names, else the one its title names): COCO's "AP" is detection's in one paper and pose
// estimation's in another. `confidence` is the extractor's probability that the row's value, benchmark,
// metric and model are all right; rows below 0.5 are left out unless asked for (most of them are
// a baseline's score, a gain or a cost read as a score).
// example: paperkg leaderboard COCO --metric "box AP" --setting test-dev
// argument: key  the benchmark's or dataset's name or any alias
// scope: 2  relationships from the entity named by $key that the pattern reaches
// option: metric=  only this metric, as written in any case, e.g. "box AP" (default: every metric)
// option: setting=  only this setting or split, in any case, e.g. test-dev, 5-shot (default: every one)
// option: task=  only scores on a task whose name contains this, in any case, e.g. detection (default: every task)
// option: confidence=0.5  only rows the extractor is at least this sure of, 0 to 1 (0.0: every row)
MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:RESULT_ON]->(b:Entity)
WHERE $key IN b.keys AND r.kind = 'absolute'
  AND ($setting = '' OR toLower(coalesce(r.setting, '')) = toLower($setting))
  AND ($metric = '' OR toLower(r.metric) = toLower($metric))
  AND ($task = '' OR toLower(coalesce(r.task, '')) CONTAINS toLower($task))
  AND r.confidence >= $confidence
RETURN r.metric AS metric,
       coalesce(head([(r)-[:RESULT_OF]->(s) | s.name]),
                CASE r.subject WHEN 'PAPER'
                THEN CASE size([(p)-[:PROPOSES]->(m:Model) | m.name] + [(p)-[:PROPOSES]->(m:Method) | m.name]) WHEN 1
                     THEN head([(p)-[:PROPOSES]->(m:Model) | m.name] + [(p)-[:PROPOSES]->(m:Method) | m.name])
                     ELSE '(this paper)' END
                ELSE r.subject END) AS model,
       CASE r.unit WHEN 'points' THEN r.value + ' points' ELSE r.value + coalesce(r.unit, '') END AS value,
       r.setting AS setting, r.task AS task, CASE r.lower_is_better WHEN true THEN 'lower' WHEN false THEN 'higher' END AS better,
       p.title AS title, coalesce(p.date, toString(p.year)) AS date, r.confidence AS confidence, r.evidence AS evidence
ORDER BY r.metric = '', toLower(r.metric), CASE WHEN r.lower_is_better THEN r.score ELSE -r.score END, model, p.id, value
