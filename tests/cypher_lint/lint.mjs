// Lint Cypher statements with Neo4j's own grammar and semantic analysis.
//
// stdin:  {"labels": [...], "relationshipTypes": [...],
//          "statements": [{"name": "...", "text": "...", "parameters": {"key": "gsm8k"}, "consoleCommands": false}]}
// stdout: [{"name": "...", "diagnostics": [{"severity": "error", "message": "...", "line": 1, "column": 5}]}]
// Parameters not listed for a statement, labels and types not in the lists are diagnostics too.
// A statement with "consoleCommands": true may be a Neo4j Browser command (:param key => 'x').
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const report = input.statements.map(({ name, text, parameters = {}, consoleCommands = false }) => {
  const schema = {
    labels: input.labels,
    relationshipTypes: input.relationshipTypes,
    parameters,
  };
  const { diagnostics } = lintCypherQuery(text, schema, { consoleCommandsEnabled: consoleCommands });
  return {
    name,
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITY[d.severity] ?? String(d.severity),
      message: d.message,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
    })),
  };
});
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
