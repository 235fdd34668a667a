-- Every new ticket, message and contact adds its words to the typo vocabulary
-- ("SearchWord") in a statement trigger. The function ran its INSERT through
-- EXECUTE format(…) to name the column, so PostgreSQL parsed and planned it on
-- every insert (two per created ticket: its subject and its first message's
-- body). One static statement per column lets PL/pgSQL keep each plan (per
-- trigger table) for the session. Same rows, same result; the update and
-- delete triggers, which run far less often, keep their dynamic statements.
CREATE OR REPLACE FUNCTION deskgraph_vocabulary_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  CASE TG_ARGV[0]
    WHEN 'subject' THEN
      INSERT INTO "SearchWord" ("tenantId", "word")
        SELECT DISTINCT n."tenantId", v FROM new_rows n, deskgraph_vocabulary(n."subject") AS v
        ON CONFLICT DO NOTHING;
    WHEN 'body' THEN
      INSERT INTO "SearchWord" ("tenantId", "word")
        SELECT DISTINCT n."tenantId", v FROM new_rows n, deskgraph_vocabulary(n."body") AS v
        ON CONFLICT DO NOTHING;
    WHEN 'name' THEN
      INSERT INTO "SearchWord" ("tenantId", "word")
        SELECT DISTINCT n."tenantId", v FROM new_rows n, deskgraph_vocabulary(n."name") AS v
        ON CONFLICT DO NOTHING;
  END CASE;
  RETURN NULL;
END $$;
