import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateOperator } from "../src/tenants/operator-auth.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { startVendor } from "./support/echo-plugin.js";
import { freePort } from "./support/free-port.js";

const KEY = randomBytes(32).toString("base64url");
const DAY_MS = 86_400_000;
let app: TestApp;
let vendor: Awaited<ReturnType<typeof startVendor>>;

const op = (query: string, variables: Record<string, unknown> = {}, key = KEY) =>
  app.gql(query, variables, undefined, { authorization: `Operator ${key}` });

const CREATE = `mutation($i: OperatorCreateTenantInput!) { operatorCreateTenant(input: $i) { invitationToken tenant { id slug name closedAt } } }`;
const CLOSE = `mutation($s: String!) { operatorCloseTenant(slug: $s) { slug closedAt deletionDueAt } }`;
const REOPEN = `mutation($s: String!) { operatorReopenTenant(slug: $s) { slug closedAt deletionDueAt } }`;
const NEW_TICKET = `mutation { createTicket(input: { subject: "Help", body: "please", requester: { name: "Zoe Client", email: "zoe@example.org" } }) { id requester { id } } }`;

/** Rows of a tenant in every table that has a tenantId column, as the catalogue lists them now. */
async function rowsPerTable(tenantId: string): Promise<Record<string, number>> {
  const tables = await app.database.prisma.$queryRawUnsafe<{ table_name: string }[]>(
    `SELECT table_name::text AS table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'tenantId'`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = await app.database.prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM "${table_name}" WHERE "tenantId" = $1::uuid`,
      tenantId,
    );
    counts[table_name] = row!.n;
  }
  return counts;
}

beforeAll(async () => {
  vendor = await startVendor();
  app = await startApp({ OPERATOR_KEY: KEY, TENANT_DELETION_DAYS: "30" });
});
afterAll(async () => {
  await app?.close();
  await vendor?.close();
});

describe("operator authentication", () => {
  it("is off without OPERATOR_KEY and compares the key exactly", () => {
    expect(authenticateOperator(undefined, `Operator ${KEY}`)).toEqual({
      operator: false,
      failure: expect.stringContaining("OPERATOR_KEY is not set"),
    });
    expect(authenticateOperator(KEY, `Operator ${KEY}`)).toEqual({ operator: true });
    expect(authenticateOperator(KEY, `operator   ${KEY}  `)).toEqual({ operator: true });
    expect(authenticateOperator(KEY, `Operator ${KEY}x`)).toMatchObject({ operator: false });
    expect(authenticateOperator(KEY, `Operator ${KEY.slice(0, -1)}`)).toMatchObject({ operator: false });
    expect(authenticateOperator(KEY, `Bearer ${KEY}`)).toBeNull();
  });

  it("refuses everyone but the operator, and the operator everything of a tenant", async () => {
    const t = await app.tenant();
    const list = `{ operatorTenants(first: 5) { edges { node { slug } } } }`;
    expect(codes(await app.gql(list))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await op(list, {}, "wrong-key-wrong-key-wrong-key-wrong"))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await app.gql(list, {}, undefined, { authorization: `Bearer ${KEY}` }))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await app.gql(list, {}, t.ownerToken))).toEqual(["FORBIDDEN"]);
    // The operator key is no tenant credential.
    expect(codes(await op(`{ tickets { totalCount } }`))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await op(list))).toEqual([]);
  });
});

describe("provisioning", () => {
  it("creates a tenant whose invited owner sets a password and signs in", async () => {
    const r = await op(CREATE, { i: { name: "Acme GmbH", slug: "acme", ownerEmail: "Boss@Acme.example", ownerName: "Bea Boss" } });
    expect(r.errors).toBeUndefined();
    expect(r.data.operatorCreateTenant.tenant).toMatchObject({ slug: "acme", name: "Acme GmbH", closedAt: null });
    const token = r.data.operatorCreateTenant.invitationToken as string;
    expect(token).toMatch(/^dgi_/);
    const accepted = await app.gql(`mutation($t: String!) { acceptInvitation(token: $t, password: "a long enough password") { token } }`, {
      t: token,
    });
    const session = accepted.data.acceptInvitation.token;
    const me = await app.gql(`{ viewer { tenant { slug } agent { role } } }`, {}, session);
    expect(me.data.viewer).toEqual({ tenant: { slug: "acme" }, agent: { role: "OWNER" } });
    // One time only.
    expect(
      codes(
        await app.gql(`mutation($t: String!) { acceptInvitation(token: $t, password: "another long password") { token } }`, { t: token }),
      ),
    ).toEqual(["NOT_FOUND"]);
    expect(await app.signIn("acme", "boss@acme.example", "a long enough password")).toMatch(/^dgs_/);
  });

  it("refuses a taken slug and bad input, naming every field", async () => {
    const taken = await op(CREATE, { i: { name: "Other", slug: "acme", ownerEmail: "x@other.example", ownerName: "X" } });
    expect(codes(taken)).toEqual(["CONFLICT"]);
    expect(taken.errors![0]!.extensions!.fields).toEqual([{ path: ["input", "slug"], message: "is taken" }]);
    const bad = await op(CREATE, { i: { name: " ", slug: "Not A Slug", ownerEmail: "nope", ownerName: "X" } });
    expect(codes(bad)).toEqual(["VALIDATION"]);
    expect(bad.errors![0]!.extensions!.fields.map((f: any) => f.path)).toEqual([
      ["input", "name"],
      ["input", "slug"],
      ["input", "ownerEmail"],
    ]);
  });

  it("lists tenants page by page and records every operator call", async () => {
    const first = await op(`{ operatorTenants(first: 1) { pageInfo { hasNextPage endCursor } edges { node { slug } } } }`);
    expect(first.data.operatorTenants.pageInfo.hasNextPage).toBe(true);
    const next = await op(`query($a: String) { operatorTenants(first: 100, after: $a) { edges { node { slug } } } }`, {
      a: first.data.operatorTenants.pageInfo.endCursor,
    });
    const slugs = [first, next].flatMap((r) => r.data.operatorTenants.edges.map((e: any) => e.node.slug));
    expect(slugs).toContain("acme");
    expect(new Set(slugs).size).toBe(slugs.length);
    const log = await op(`{ operatorAuditLog(first: 500) { action tenantSlug outcome errorCode } }`);
    expect(log.data.operatorAuditLog).toEqual(
      expect.arrayContaining([
        { action: "operatorCreateTenant", tenantSlug: "acme", outcome: "SUCCESS", errorCode: null },
        { action: "operatorCreateTenant", tenantSlug: "acme", outcome: "FAILURE", errorCode: "CONFLICT" },
      ]),
    );
  });
});

describe("closure", () => {
  let closing: TestTenant;
  let other: TestTenant;
  let contactId = "";

  beforeAll(async () => {
    closing = await app.tenant();
    other = await app.tenant();
    // The closing tenant runs a plugin that keeps data at its vendor.
    await app.gql(
      `mutation($e: String!) { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: $e }, { key: "apiKey", value: "k" }]) { id } }`,
      { e: vendor.url },
      closing.ownerToken,
    );
    await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { id } }`, {}, closing.ownerToken);
    for (const t of [closing, other]) {
      const r = await app.gql(NEW_TICKET, {}, t.ownerToken);
      if (t === closing) contactId = r.data.createTicket.requester.id;
      await app.apiKey(t, ["TICKETS_READ"]);
    }
    await app.sequenced();
  });

  it("makes the tenant read-only at once; reads, exports and privacy requests go on; reopening undoes it", async () => {
    const closed = await op(CLOSE, { s: closing.slug });
    expect(closed.errors).toBeUndefined();
    const { closedAt, deletionDueAt } = closed.data.operatorCloseTenant;
    expect(Date.parse(deletionDueAt) - Date.parse(closedAt)).toBe(30 * DAY_MS);
    expect(codes(await op(CLOSE, { s: closing.slug }))).toEqual(["INVALID_TRANSITION"]);

    const write = await app.gql(NEW_TICKET, {}, closing.ownerToken);
    expect(codes(write)).toEqual(["TENANT_CLOSED"]);
    expect(write.errors![0]!.extensions!.deletionDueAt).toBe(deletionDueAt);
    expect((await app.gql(`{ tickets { totalCount } }`, {}, closing.ownerToken)).data.tickets.totalCount).toBe(1);
    // A data subject's export is still made and downloadable.
    const filed = await app.gql(
      `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ACCESS }) { id } }`,
      { c: contactId },
      closing.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status export { url } } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      closing.ownerToken,
    );
    expect(done.data.completeDataSubjectRequest.status).toBe("COMPLETED");
    expect((await fetch(new URL(done.data.completeDataSubjectRequest.export.url, app.url))).status).toBe(200);
    // The other tenant is not affected; the closing tenant's admins see why in their audit log.
    expect(codes(await app.gql(NEW_TICKET.replace("zoe@", "zoe3@"), {}, other.ownerToken))).toEqual([]);
    const audit = await app.gql(`{ auditLog(first: 5, filter: { action: "tenant.closed" }) { totalCount } }`, {}, closing.ownerToken);
    expect(audit.data.auditLog.totalCount).toBe(1);

    const reopened = await op(REOPEN, { s: closing.slug });
    expect(reopened.data.operatorReopenTenant).toEqual({ slug: closing.slug, closedAt: null, deletionDueAt: null });
    expect(codes(await op(REOPEN, { s: closing.slug }))).toEqual(["INVALID_TRANSITION"]);
    expect(codes(await op(REOPEN, { s: "no-such-tenant" }))).toEqual(["NOT_FOUND"]);
    expect(codes(await app.gql(NEW_TICKET.replace("zoe@", "zoe2@"), {}, closing.ownerToken))).toEqual([]);
    // A reopened tenant is not deleted when the first closure's period ends.
    expect(await app.server.deleteClosedTenants(new Date(Date.parse(deletionDueAt) + DAY_MS))).toEqual([]);
  });

  it("deletes every row of the tenant once the period is over, calls the plugins' erase hooks and leaves a receipt", async () => {
    const closed = await op(CLOSE, { s: closing.slug });
    const due = Date.parse(closed.data.operatorCloseTenant.deletionDueAt);
    // The plugins' message hooks (consumers) have run: the only plugin calls from here on are the erasure's.
    await app.consumed();
    const before = await rowsPerTable(closing.id);
    const otherBefore = await rowsPerTable(other.id);
    expect(before.Ticket).toBe(3 - 1); // two tickets: the one from setup and the one after reopening
    expect(before.Contact).toBeGreaterThan(0);

    // Not a moment early.
    expect(await app.server.deleteClosedTenants(new Date(due - 1))).toEqual([]);
    expect((await rowsPerTable(closing.id)).Ticket).toBe(2);

    const receipts = await app.server.deleteClosedTenants(new Date(due));
    expect(receipts.map((r) => r.slug)).toEqual([closing.slug]);
    const after = await rowsPerTable(closing.id);
    expect(Object.keys(after).length).toBeGreaterThan(20);
    expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
    expect(await app.database.prisma.tenant.findUnique({ where: { id: closing.id } })).toBeNull();
    expect(await rowsPerTable(other.id)).toEqual(otherBefore);

    // Every contact was erased at the vendor.
    expect(vendor.received.filter((r) => r.path === "/erase").map((r) => r.body.contactId).length).toBe(before.Contact);

    const read = await op(
      `query($s: String) { operatorClosureReceipts(slug: $s) { slug formerTenantId counts plugins closedAt deletedAt } }`,
      { s: closing.slug },
    );
    const [receipt] = read.data.operatorClosureReceipts;
    expect(receipt.formerTenantId).toBe(closing.id);
    expect(receipt.deletedAt).toBe(new Date(due).toISOString());
    // Everything counted before, and what the erasure itself recorded (its plugin calls, audit entries).
    for (const [table, n] of Object.entries(before)) expect(receipt.counts[table] ?? 0, table).toBeGreaterThanOrEqual(n);
    expect(receipt.counts.Ticket).toBe(2);
    expect(receipt.counts.PluginCall - before.PluginCall!).toBe(before.Contact);
    expect(receipt.plugins).toEqual([{ pluginId: "test-echo", store: "Echo assistant (vendor)", deleted: before.Contact }]);
    // Its credentials are gone with it.
    expect(codes(await app.gql(`{ tickets { totalCount } }`, {}, closing.ownerToken))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await op(REOPEN, { s: closing.slug }))).toEqual(["NOT_FOUND"]);
  });

  it("keeps every row while a plugin cannot erase at its vendor, says why, and deletes at the next sweep once it can", async () => {
    const t = await app.tenant();
    const configure = (endpoint: string) =>
      app.gql(
        `mutation($e: String!) { configurePlugin(id: "test-echo", settings: [{ key: "endpoint", value: $e }, { key: "apiKey", value: "k" }]) { id } }`,
        { e: endpoint },
        t.ownerToken,
      );
    await configure(`http://127.0.0.1:${await freePort()}`); // nothing listens there
    await app.gql(`mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { id } }`, {}, t.ownerToken);
    await app.gql(NEW_TICKET, {}, t.ownerToken);
    const closed = await op(CLOSE, { s: t.slug });
    const due = new Date(Date.parse(closed.data.operatorCloseTenant.deletionDueAt));

    expect(await app.server.deleteClosedTenants(due)).toEqual([]);
    expect((await rowsPerTable(t.id)).Ticket).toBe(1);
    const listed = await op(`{ operatorTenants(first: 100) { edges { node { slug deletionError } } } }`);
    const mine = listed.data.operatorTenants.edges.map((e: any) => e.node).find((n: any) => n.slug === t.slug);
    expect(mine.deletionError).toMatch(/^plugin test-echo could not erase/);

    // The vendor is reachable again (the tenant is reopened to change the setting, then closed again).
    await op(REOPEN, { s: t.slug });
    await configure(vendor.url);
    const again = await op(CLOSE, { s: t.slug });
    const [receipt] = await app.server.deleteClosedTenants(new Date(Date.parse(again.data.operatorCloseTenant.deletionDueAt)));
    expect(receipt!.slug).toBe(t.slug);
    expect(Object.values(await rowsPerTable(t.id)).every((n) => n === 0)).toBe(true);
  });
});
