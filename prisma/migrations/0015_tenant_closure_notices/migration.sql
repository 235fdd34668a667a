-- A credential's viewer carries its tenant's closure (src/auth/viewer.ts), so that
-- the read-only guard needs no database read per mutation: closing or reopening a
-- tenant is announced like any other change a cached credential depends on
-- (0013_credential_notices), as "tenant:<id>".
CREATE TRIGGER "Tenant_credential_changed" AFTER UPDATE ON "Tenant"
  FOR EACH ROW WHEN (OLD."closedAt" IS DISTINCT FROM NEW."closedAt" OR OLD."deletionDueAt" IS DISTINCT FROM NEW."deletionDueAt")
  EXECUTE FUNCTION deskgraph_credential_changed('tenant');
