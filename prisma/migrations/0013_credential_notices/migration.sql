-- Credential notices: every change that can revoke or alter a credential is
-- announced on the channel "deskgraph_credentials" as "<kind>:<row id>", so that
-- each instance drops what it has cached about it (src/auth/credential-cache.ts).
-- NOTIFY is transactional: it is delivered when the change commits, and never
-- for a change that rolls back. Triggers rather than calls in the services: a
-- sweep, an erasure, a cascade or SQL typed by hand is announced all the same.
CREATE FUNCTION deskgraph_credential_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('deskgraph_credentials', TG_ARGV[0] || ':' || OLD."id");
  RETURN NULL;
END $$;

-- A session changes only when it ends (signed out, its agent disabled).
CREATE TRIGGER "Session_credential_changed" AFTER UPDATE ON "Session"
  FOR EACH ROW EXECUTE FUNCTION deskgraph_credential_changed('session');
-- Keys and portal links: anything but the last-used time (written once a minute
-- per credential, and not something a cached copy needs).
CREATE TRIGGER "ApiKey_credential_changed" AFTER UPDATE ON "ApiKey"
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'lastUsedAt') IS DISTINCT FROM (to_jsonb(NEW) - 'lastUsedAt'))
  EXECUTE FUNCTION deskgraph_credential_changed('apiKey');
CREATE TRIGGER "PortalToken_credential_changed" AFTER UPDATE ON "PortalToken"
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'lastUsedAt') IS DISTINCT FROM (to_jsonb(NEW) - 'lastUsedAt'))
  EXECUTE FUNCTION deskgraph_credential_changed('portalToken');

-- Deleting a credential that still worked (an erasure deletes portal links; a
-- merge or a tenant's deletion cascades). One that had already ended was
-- announced when it ended: retention sweeps that clear thousands say nothing.
CREATE TRIGGER "Session_credential_deleted" AFTER DELETE ON "Session"
  FOR EACH ROW WHEN (OLD."revokedAt" IS NULL AND OLD."expiresAt" > now())
  EXECUTE FUNCTION deskgraph_credential_changed('session');
CREATE TRIGGER "ApiKey_credential_deleted" AFTER DELETE ON "ApiKey"
  FOR EACH ROW WHEN (OLD."revokedAt" IS NULL)
  EXECUTE FUNCTION deskgraph_credential_changed('apiKey');
CREATE TRIGGER "PortalToken_credential_deleted" AFTER DELETE ON "PortalToken"
  FOR EACH ROW WHEN (OLD."revokedAt" IS NULL AND OLD."expiresAt" > now())
  EXECUTE FUNCTION deskgraph_credential_changed('portalToken');

-- What a session's viewer carries from its agent (role, disabled), and what a
-- portal link's carries from its contact (erased). Deleting either cascades to
-- the sessions and links, which announce themselves above.
CREATE TRIGGER "Agent_credential_changed" AFTER UPDATE ON "Agent"
  FOR EACH ROW WHEN (OLD."role" IS DISTINCT FROM NEW."role" OR OLD."disabled" IS DISTINCT FROM NEW."disabled" OR OLD."tenantId" IS DISTINCT FROM NEW."tenantId")
  EXECUTE FUNCTION deskgraph_credential_changed('agent');
CREATE TRIGGER "Contact_credential_changed" AFTER UPDATE ON "Contact"
  FOR EACH ROW WHEN (OLD."erasedAt" IS DISTINCT FROM NEW."erasedAt" OR OLD."tenantId" IS DISTINCT FROM NEW."tenantId")
  EXECUTE FUNCTION deskgraph_credential_changed('contact');
