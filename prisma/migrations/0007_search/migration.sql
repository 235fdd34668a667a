-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "searchVector" tsvector;

-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN     "searchVector" tsvector;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "searchVector" tsvector;

-- CreateTable
CREATE TABLE "SearchWord" (
    "tenantId" UUID NOT NULL,
    "word" TEXT NOT NULL,

    CONSTRAINT "SearchWord_pkey" PRIMARY KEY ("tenantId","word")
);

-- CreateIndex
CREATE INDEX "SearchWord_word_idx" ON "SearchWord" USING GIN ("word" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Contact_searchVector_idx" ON "Contact" USING GIN ("searchVector");

-- CreateIndex
CREATE INDEX "Ticket_searchVector_idx" ON "Ticket" USING GIN ("searchVector");

-- CreateIndex
CREATE INDEX "Message_tenantId_createdAt_idx" ON "Message"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "Message_searchVector_idx" ON "Message" USING GIN ("searchVector");

-- AddForeignKey
ALTER TABLE "SearchWord" ADD CONSTRAINT "SearchWord_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- ---- Hand-written: the database keeps the search columns current ----
--
-- Every write path (the API, erasure, retention, merges, plugins, psql) goes
-- through these triggers, so the search index can never disagree with the
-- text: redacting a body or scrubbing a name refreshes its vector in the same
-- statement, and words that no longer occur anywhere leave the vocabulary.

-- A tenant's locale → text-search configuration (stemming and stop words).
-- Mirrored by src/search/language.ts; a test checks both agree.
CREATE FUNCTION deskgraph_search_config(locale TEXT) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE lower(split_part(split_part(coalesce(locale, ''), '-', 1), '_', 1))
    WHEN 'en' THEN 'english' WHEN 'fr' THEN 'french' WHEN 'de' THEN 'german'
    WHEN 'sv' THEN 'swedish' WHEN 'nl' THEN 'dutch' ELSE 'simple' END)::regconfig
$$;

CREATE FUNCTION deskgraph_tenant_search_config(tenant UUID) RETURNS regconfig
LANGUAGE sql STABLE AS $$
  SELECT deskgraph_search_config((SELECT "defaultLocale" FROM "Tenant" WHERE "id" = tenant))
$$;

-- The words of a text worth offering as typo corrections: lower case, 3 to 32
-- characters, no digits, emails, hosts or paths (order numbers, addresses and
-- phone numbers are not words one misspells, and stay out of the vocabulary).
CREATE FUNCTION deskgraph_vocabulary(body TEXT) RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT w FROM unnest(tsvector_to_array(to_tsvector('simple', coalesce(body, '')))) AS w
  WHERE char_length(w) BETWEEN 3 AND 32 AND w !~ '[0-9@./:]'
$$;

-- Removes words from a tenant's vocabulary unless some ticket, message or
-- contact still contains them (checked through the GIN indexes, with the
-- tenant's stemming: a word whose stem still occurs stays). Stop words have
-- no stem to look for and stay; they are never personal data on their own.
CREATE FUNCTION deskgraph_prune_vocabulary(tenant UUID, words TEXT[]) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
  cfg regconfig := deskgraph_tenant_search_config(tenant);
  w TEXT;
  q tsquery;
BEGIN
  FOREACH w IN ARRAY words LOOP
    q := plainto_tsquery(cfg, w);
    CONTINUE WHEN numnode(q) = 0;
    IF NOT EXISTS (SELECT 1 FROM "Ticket" WHERE "tenantId" = tenant AND "searchVector" @@ q)
       AND NOT EXISTS (SELECT 1 FROM "Message" WHERE "tenantId" = tenant AND "searchVector" @@ q)
       AND NOT EXISTS (SELECT 1 FROM "Contact" WHERE "tenantId" = tenant AND "searchVector" @@ q) THEN
      DELETE FROM "SearchWord" WHERE "tenantId" = tenant AND "word" = w;
    END IF;
  END LOOP;
END $$;

-- Vectors, row by row, before the row is written. UPDATE OF the text columns
-- only: status changes and the like do not re-parse text. Setting
-- "searchVector" to NULL forces a rebuild (used when a tenant's locale changes).
CREATE FUNCTION deskgraph_ticket_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchVector" := setweight(to_tsvector(deskgraph_tenant_search_config(NEW."tenantId"), NEW."subject"), 'A');
  RETURN NEW;
END $$;

CREATE FUNCTION deskgraph_message_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchVector" := to_tsvector(deskgraph_tenant_search_config(NEW."tenantId"), NEW."body");
  RETURN NEW;
END $$;

-- Email and phone are identifiers, not language: the 'simple' configuration keeps
-- them whole. The phone without its '+', as the query parser reads "+33…" as digits.
CREATE FUNCTION deskgraph_contact_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchVector" := setweight(to_tsvector(deskgraph_tenant_search_config(NEW."tenantId"), NEW."name"), 'A')
    || setweight(to_tsvector('simple', concat_ws(' ', NEW."email", translate(NEW."phone", '+', ''))), 'B');
  RETURN NEW;
END $$;

CREATE TRIGGER "Ticket_searchVector" BEFORE INSERT OR UPDATE OF "subject", "searchVector" ON "Ticket"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_ticket_search_vector();
CREATE TRIGGER "Message_searchVector" BEFORE INSERT OR UPDATE OF "body", "searchVector" ON "Message"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_message_search_vector();
CREATE TRIGGER "Contact_searchVector" BEFORE INSERT OR UPDATE OF "name", "email", "phone", "searchVector" ON "Contact"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_contact_search_vector();

-- The vocabulary, once per statement (transition tables): a bulk insert of a
-- million rows adds each distinct word once instead of once per row, and an
-- erasure that redacts a batch checks each word it removed once. The argument
-- is the column whose words count (email and phone never qualify as words).
CREATE FUNCTION deskgraph_vocabulary_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'INSERT INTO "SearchWord" ("tenantId", "word")
       SELECT DISTINCT n."tenantId", v FROM new_rows n, deskgraph_vocabulary(n.%1$I) AS v
       ON CONFLICT DO NOTHING', TG_ARGV[0]);
  RETURN NULL;
END $$;

CREATE FUNCTION deskgraph_vocabulary_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  EXECUTE format(
    'INSERT INTO "SearchWord" ("tenantId", "word")
       SELECT DISTINCT n."tenantId", v
         FROM new_rows n JOIN old_rows o ON o."id" = n."id", deskgraph_vocabulary(n.%1$I) AS v
        WHERE o.%1$I IS DISTINCT FROM n.%1$I
       ON CONFLICT DO NOTHING', TG_ARGV[0]);
  -- Words the old text had and the new one lacks leave unless still used elsewhere.
  FOR r IN EXECUTE format(
    'SELECT o."tenantId" AS tenant, array_agg(DISTINCT v) AS words
       FROM old_rows o JOIN new_rows n ON n."id" = o."id", deskgraph_vocabulary(o.%1$I) AS v
      WHERE o.%1$I IS DISTINCT FROM n.%1$I
        AND v NOT IN (SELECT deskgraph_vocabulary(n.%1$I))
      GROUP BY o."tenantId"', TG_ARGV[0])
  LOOP
    PERFORM deskgraph_prune_vocabulary(r.tenant, r.words);
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION deskgraph_vocabulary_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  FOR r IN EXECUTE format(
    'SELECT o."tenantId" AS tenant, array_agg(DISTINCT v) AS words
       FROM old_rows o, deskgraph_vocabulary(o.%1$I) AS v GROUP BY o."tenantId"', TG_ARGV[0])
  LOOP
    PERFORM deskgraph_prune_vocabulary(r.tenant, r.words);
  END LOOP;
  RETURN NULL;
END $$;

-- Transition tables allow one event per trigger, hence three per table.
CREATE TRIGGER "Ticket_vocabulary_insert" AFTER INSERT ON "Ticket" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_added('subject');
CREATE TRIGGER "Ticket_vocabulary_update" AFTER UPDATE ON "Ticket" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_changed('subject');
CREATE TRIGGER "Ticket_vocabulary_delete" AFTER DELETE ON "Ticket" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_removed('subject');

CREATE TRIGGER "Message_vocabulary_insert" AFTER INSERT ON "Message" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_added('body');
CREATE TRIGGER "Message_vocabulary_update" AFTER UPDATE ON "Message" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_changed('body');
CREATE TRIGGER "Message_vocabulary_delete" AFTER DELETE ON "Message" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_removed('body');

CREATE TRIGGER "Contact_vocabulary_insert" AFTER INSERT ON "Contact" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_added('name');
CREATE TRIGGER "Contact_vocabulary_update" AFTER UPDATE ON "Contact" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_changed('name');
CREATE TRIGGER "Contact_vocabulary_delete" AFTER DELETE ON "Contact" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_vocabulary_removed('name');

-- A tenant that changes its locale gets its vectors rebuilt with the new stemming.
CREATE FUNCTION deskgraph_tenant_locale_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Ticket" SET "searchVector" = NULL WHERE "tenantId" = NEW."id";
  UPDATE "Message" SET "searchVector" = NULL WHERE "tenantId" = NEW."id";
  UPDATE "Contact" SET "searchVector" = NULL WHERE "tenantId" = NEW."id";
  RETURN NULL;
END $$;

CREATE TRIGGER "Tenant_search_locale" AFTER UPDATE OF "defaultLocale" ON "Tenant"
  FOR EACH ROW WHEN (OLD."defaultLocale" IS DISTINCT FROM NEW."defaultLocale")
  EXECUTE FUNCTION deskgraph_tenant_locale_changed();

-- Rows written before this migration.
UPDATE "Ticket" SET "searchVector" = NULL;
UPDATE "Message" SET "searchVector" = NULL;
UPDATE "Contact" SET "searchVector" = NULL;
INSERT INTO "SearchWord" ("tenantId", "word")
  SELECT DISTINCT t."tenantId", v FROM "Ticket" t, deskgraph_vocabulary(t."subject") AS v
  UNION SELECT DISTINCT m."tenantId", v FROM "Message" m, deskgraph_vocabulary(m."body") AS v
  UNION SELECT DISTINCT c."tenantId", v FROM "Contact" c, deskgraph_vocabulary(c."name") AS v
  ON CONFLICT DO NOTHING;
