-- CreateEnum
CREATE TYPE "AttachmentTextStatus" AS ENUM ('PENDING', 'EXTRACTED', 'TRUNCATED', 'NOT_EXTRACTED');

-- AlterTable
ALTER TABLE "Attachment" ADD COLUMN     "textBlobKey" TEXT,
ADD COLUMN     "textExtractedAt" TIMESTAMP(3),
ADD COLUMN     "textReason" TEXT,
ADD COLUMN     "textStatus" "AttachmentTextStatus" NOT NULL DEFAULT 'PENDING',
ADD COLUMN     "textVector" tsvector;

-- CreateIndex
CREATE INDEX "Attachment_textStatus_id_idx" ON "Attachment"("textStatus", "id");



-- ---- Hand-written: the text of attachment files in search, kept in step by the database ----
--
-- The extracted text itself lives in the blob store, encrypted like the file it comes from
-- (src/attachments/extract/); the row holds its key, its status and its words
-- ("textVector", in the tenant's text-search configuration). A message's "searchVector"
-- takes in the words of its files, so a ticket is found by a word inside its PDF through
-- the indexes search already uses, and a note's files match only where notes do.
--
-- The typo vocabulary ("SearchWord") holds words of bodies, subjects and names only; a
-- word that also occurs in a file is kept by the prune while the file is there. Erasure
-- anonymises the contact last, once the files mentioning them are gone, and the prune of
-- the old name's words then finds none of them left.

-- tsvector || tsvector as an aggregate: the words of all of a message's files.
CREATE AGGREGATE deskgraph_tsvector_agg(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '');

-- A file's words. A tsvector holds at most 1 MB: a text that would make a larger one is
-- cut to the longest half, quarter… that fits (the search then knows its beginning).
CREATE FUNCTION deskgraph_attachment_text_vector(tenant UUID, body TEXT) RETURNS tsvector
LANGUAGE plpgsql STABLE AS $$
DECLARE
  cfg regconfig := deskgraph_tenant_search_config(tenant);
  n INT := length(body);
BEGIN
  LOOP
    BEGIN
      RETURN to_tsvector(cfg, left(body, n));
    EXCEPTION WHEN program_limit_exceeded THEN
      n := n / 2;
    END;
  END LOOP;
END $$;

-- A message's vector takes in its files' words after whatever else makes it (its body, and
-- what later migrations add, such as a mail's headers: 0022): a BEFORE trigger of its own,
-- which PostgreSQL fires after "Message_searchVector" (same event, names in order). A new
-- message has no files yet (they are attached to it once it exists): inserts cost what they did.
CREATE FUNCTION deskgraph_message_files_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  files tsvector;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "Attachment" a WHERE a."tenantId" = NEW."tenantId" AND a."messageId" = NEW."id" AND a."textVector" IS NOT NULL) THEN
    RETURN NEW;
  END IF;
  BEGIN
    SELECT deskgraph_tsvector_agg(a."textVector" ORDER BY a."createdAt", a."id") INTO files
      FROM "Attachment" a WHERE a."tenantId" = NEW."tenantId" AND a."messageId" = NEW."id" AND a."textVector" IS NOT NULL;
    NEW."searchVector" := coalesce(NEW."searchVector", ''::tsvector) || files;
  EXCEPTION WHEN program_limit_exceeded THEN
    -- The message's words and its files' over tsvector's 1 MB: the files' words without positions
    -- (phrases inside them stop matching), or, if even that is too much, none of them.
    BEGIN
      SELECT deskgraph_tsvector_agg(strip(a."textVector") ORDER BY a."createdAt", a."id") INTO files
        FROM "Attachment" a WHERE a."tenantId" = NEW."tenantId" AND a."messageId" = NEW."id" AND a."textVector" IS NOT NULL;
      NEW."searchVector" := coalesce(NEW."searchVector", ''::tsvector) || files;
    EXCEPTION WHEN program_limit_exceeded THEN
      NULL;
    END;
  END;
  RETURN NEW;
END $$;

CREATE TRIGGER "Message_searchVector_files" BEFORE UPDATE OF "body", "searchVector" ON "Message"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_message_files_vector();

-- A new file (a redacted copy, a move to another store) makes the old text wrong: unless
-- the same statement writes the new text too, the text is reset and extracted again.
-- Bytes moved out of the row into the blob store are the same bytes and keep their text.
CREATE FUNCTION deskgraph_attachment_file_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW."blobKey" IS DISTINCT FROM OLD."blobKey" OR NEW."content" IS DISTINCT FROM OLD."content")
     AND NOT (OLD."blobKey" IS NULL AND OLD."content" IS NOT NULL AND NEW."content" IS NULL)
     AND NEW."textBlobKey" IS NOT DISTINCT FROM OLD."textBlobKey"
     AND NEW."textStatus" IS NOT DISTINCT FROM OLD."textStatus" THEN
    NEW."textStatus" := 'PENDING';
    NEW."textReason" := NULL;
    NEW."textBlobKey" := NULL;
    NEW."textExtractedAt" := NULL;
    NEW."textVector" := NULL;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER "Attachment_file_changed" BEFORE UPDATE OF "blobKey", "content" ON "Attachment"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_attachment_file_changed();

-- The text's blob goes the way of the file's (see attachment_blob_released, 0017): queued
-- for deletion when its row goes or points at another text. Not UPDATE OF "textBlobKey":
-- the reset above changes it from a BEFORE trigger, which such a trigger would not see.
CREATE FUNCTION attachment_text_blob_released() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "BlobDeletion" ("id", "tenantId", "blobKey") VALUES (gen_random_uuid(), OLD."tenantId", OLD."textBlobKey");
  RETURN NULL;
END $$;

CREATE TRIGGER attachment_text_blob_replaced AFTER UPDATE ON "Attachment" FOR EACH ROW
  WHEN (OLD."textBlobKey" IS NOT NULL AND OLD."textBlobKey" IS DISTINCT FROM NEW."textBlobKey")
  EXECUTE FUNCTION attachment_text_blob_released();
CREATE TRIGGER attachment_text_blob_deleted AFTER DELETE ON "Attachment" FOR EACH ROW
  WHEN (OLD."textBlobKey" IS NOT NULL)
  EXECUTE FUNCTION attachment_text_blob_released();

-- Messages whose files' words changed: their vectors are rebuilt (by the triggers above,
-- through the NULL) and, where the Elasticsearch plugin is on, their documents re-sent.
CREATE FUNCTION deskgraph_messages_files_changed(tenants UUID[], messages UUID[]) RETURNS void LANGUAGE sql AS $$
  UPDATE "Message" m SET "searchVector" = NULL
    FROM unnest(tenants, messages) AS c(tenant, message) WHERE m."tenantId" = c.tenant AND m."id" = c.message;
  INSERT INTO "SearchIndexOutbox" ("tenantId", "kind", "docId")
    SELECT DISTINCT c.tenant, 'MESSAGE', c.message FROM unnest(tenants, messages) AS c(tenant, message)
    WHERE "search_index_enabled"(c.tenant);
$$;

-- Once per statement (transition tables): deleting a ticket's hundred files rebuilds each
-- message once. Only rows whose words or message changed count.
CREATE FUNCTION deskgraph_attachment_words_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tenants UUID[];
  messages UUID[];
BEGIN
  SELECT array_agg(x.tenant), array_agg(x.message) INTO tenants, messages FROM (
    SELECT o."tenantId" AS tenant, o."messageId" AS message FROM old_rows o JOIN new_rows n ON n."id" = o."id"
      WHERE o."messageId" IS NOT NULL AND o."textVector" IS NOT NULL
        AND (o."textVector" IS DISTINCT FROM n."textVector" OR o."messageId" IS DISTINCT FROM n."messageId")
    UNION
    SELECT n."tenantId", n."messageId" FROM old_rows o JOIN new_rows n ON n."id" = o."id"
      WHERE n."messageId" IS NOT NULL AND n."textVector" IS NOT NULL
        AND (o."textVector" IS DISTINCT FROM n."textVector" OR o."messageId" IS DISTINCT FROM n."messageId")
  ) x;
  IF messages IS NOT NULL THEN
    PERFORM deskgraph_messages_files_changed(tenants, messages);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION deskgraph_attachment_words_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tenants UUID[];
  messages UUID[];
BEGIN
  SELECT array_agg(x.tenant), array_agg(x.message) INTO tenants, messages FROM (
    SELECT DISTINCT o."tenantId" AS tenant, o."messageId" AS message FROM old_rows o
      WHERE o."messageId" IS NOT NULL AND o."textVector" IS NOT NULL
  ) x;
  IF messages IS NOT NULL THEN
    PERFORM deskgraph_messages_files_changed(tenants, messages);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "Attachment_words_update" AFTER UPDATE ON "Attachment" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_attachment_words_updated();
CREATE TRIGGER "Attachment_words_delete" AFTER DELETE ON "Attachment" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION deskgraph_attachment_words_deleted();

-- A tenant that changes its locale: files' words were made with the old stemming. They are
-- cleared here and made again from the stored texts by the extraction backfill, which finds
-- texts without words through this index (empty outside such a change).
CREATE INDEX "Attachment_textWithoutWords_idx" ON "Attachment" ("id") WHERE "textBlobKey" IS NOT NULL AND "textVector" IS NULL;

CREATE OR REPLACE FUNCTION deskgraph_tenant_locale_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Attachment" SET "textVector" = NULL WHERE "tenantId" = NEW."id" AND "textVector" IS NOT NULL;
  UPDATE "Ticket" SET "searchVector" = NULL WHERE "tenantId" = NEW."id";
  UPDATE "Message" SET "searchVector" = NULL WHERE "tenantId" = NEW."id";
  UPDATE "Contact" SET "searchVector" = NULL WHERE "tenantId" = NEW."id";
  RETURN NULL;
END $$;
