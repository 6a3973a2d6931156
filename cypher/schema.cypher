// paperkg schema for Neo4j 5: run before loading (paperkg neo4j load does it first).
// Every statement is idempotent (IF NOT EXISTS). Labels are graph/model.py's fixed list.

// One node per id: MERGE on id relies on these (and they index id).
CREATE CONSTRAINT paper_id IF NOT EXISTS FOR (n:Paper) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT result_id IF NOT EXISTS FOR (n:Result) REQUIRE n.id IS UNIQUE;

// Lookups by name and title.
CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name);
CREATE INDEX paper_title IF NOT EXISTS FOR (n:Paper) ON (n.title);

// The results of a paper: how a load finds those a re-extraction no longer states.
CREATE INDEX result_paper IF NOT EXISTS FOR (n:Result) ON (n.paper);

// The canonical keys of an entity's name and aliases: how every catalogue query finds an entity.
CREATE INDEX entity_keys IF NOT EXISTS FOR (n:Entity) ON (n.keys);

// Free-text search over entity names and aliases:
//   CALL db.index.fulltext.queryNodes('entity_names', 'preference optimization') YIELD node, score
CREATE FULLTEXT INDEX entity_names IF NOT EXISTS FOR (n:Entity) ON EACH [n.name, n.aliases];
