import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

const PUBLISH = `mutation($i: PublishPolicyVersionInput!) { publishPolicyVersion(input: $i) { id version url summary publishedAt } }`;
const ACCEPT = `mutation($id: ID!) { acceptPolicyVersion(id: $id) { id version viewerAcceptedAt } }`;
const PENDING = `{ viewer { kind pendingPolicy { id version url } } }`;

async function publish(tenant: TestTenant, version: string, extra: Record<string, unknown> = {}) {
  const r = await app.gql(
    PUBLISH,
    { i: { version, url: `https://example.com/privacy/${version}`, summary: `Changes in ${version}`, ...extra } },
    tenant.ownerToken,
  );
  expect(r.errors).toBeUndefined();
  return r.data.publishPolicyVersion as { id: string; version: string; url: string; summary: string; publishedAt: string };
}
const pendingFor = async (token: string) => (await app.gql(PENDING, {}, token)).data.viewer.pendingPolicy;

describe("privacy policy versions", () => {
  it("are published by owners and admins, unique per tenant, newest first", async () => {
    const tenant = await app.tenant();
    expect((await app.gql(`{ policyVersions { id } }`, {}, tenant.ownerToken)).data.policyVersions).toEqual([]);
    const first = await publish(tenant, "2026-01");
    expect(first).toMatchObject({ version: "2026-01", url: "https://example.com/privacy/2026-01", summary: "Changes in 2026-01" });
    const admin = await app.agent(tenant, "ADMIN");
    const second = await app.gql(PUBLISH, { i: { version: " 2026-02 " } }, admin.token);
    expect(second.data.publishPolicyVersion).toMatchObject({ version: "2026-02", url: null, summary: null });

    const again = await app.gql(PUBLISH, { i: { version: "2026-01", url: "https://example.com/other" } }, tenant.ownerToken);
    expect(codes(again)).toEqual(["CONFLICT"]);
    expect(again.errors![0]!.extensions).toMatchObject({ fields: [{ path: ["input", "version"] }], existingPolicyVersionId: first.id });
    const list = await app.gql(`{ policyVersions { version } }`, {}, tenant.ownerToken);
    expect(list.data.policyVersions.map((p: any) => p.version)).toEqual(["2026-02", "2026-01"]);
  });

  it("refuse bad input with the field path, and anyone but owners and admins", async () => {
    const tenant = await app.tenant();
    for (const [input, path] of [
      [{ version: "" }, ["input", "version"]],
      [{ version: "x".repeat(65) }, ["input", "version"]],
      [{ version: "v1", url: "not a url" }, ["input", "url"]],
      [{ version: "v1", url: "javascript:alert(1)" }, ["input", "url"]],
    ] as const) {
      const r = await app.gql(PUBLISH, { i: input }, tenant.ownerToken);
      expect(codes(r), JSON.stringify(input)).toEqual(["VALIDATION"]);
      expect(
        r.errors![0]!.extensions!.fields.map((f: any) => f.path),
        JSON.stringify(input),
      ).toContainEqual(path);
    }
    const agent = await app.agent(tenant, "AGENT");
    const viewer = await app.agent(tenant, "VIEWER");
    const key = await app.apiKey(tenant, ["TICKETS_READ", "CONTACTS_WRITE"]);
    for (const token of [agent.token, viewer.token, key]) {
      expect(codes(await app.gql(PUBLISH, { i: { version: "v1" } }, token))).toEqual(["FORBIDDEN"]);
    }
    expect((await app.gql(`{ policyVersions { id } }`, {}, tenant.ownerToken)).data.policyVersions).toEqual([]);
  });
});

describe("viewer.pendingPolicy", () => {
  it("shows an agent the policy in force until they accept it, and again when a new one is published", async () => {
    const viewer = await app.agent(t, "VIEWER");
    expect(await pendingFor(viewer.token)).toBeNull();

    const v1 = await publish(t, "v1");
    expect(await pendingFor(viewer.token)).toEqual({ id: v1.id, version: "v1", url: v1.url });
    expect(await pendingFor(t.ownerToken)).toMatchObject({ version: "v1" });

    // A VIEWER changes no tenant data, but accepts the policy for themselves.
    const accepted = await app.gql(ACCEPT, { id: v1.id }, viewer.token);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.acceptPolicyVersion).toMatchObject({ id: v1.id, version: "v1" });
    const acceptedAt = accepted.data.acceptPolicyVersion.viewerAcceptedAt;
    expect(Date.parse(acceptedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(await pendingFor(viewer.token)).toBeNull();
    // Only for them.
    expect(await pendingFor(t.ownerToken)).toMatchObject({ version: "v1" });

    // Accepting again keeps the first acceptance.
    const twice = await app.gql(ACCEPT, { id: v1.id }, viewer.token);
    expect(twice.data.acceptPolicyVersion.viewerAcceptedAt).toBe(acceptedAt);
    const count = await app.gql(`{ policyVersions { version acceptanceCount viewerAcceptedAt } }`, {}, t.ownerToken);
    expect(count.data.policyVersions).toEqual([{ version: "v1", acceptanceCount: 1, viewerAcceptedAt: null }]);

    const v2 = await publish(t, "v2");
    expect(await pendingFor(viewer.token)).toMatchObject({ id: v2.id, version: "v2" });
    // Accepting an older version does not accept the one in force.
    await app.gql(ACCEPT, { id: v1.id }, t.ownerToken);
    expect(await pendingFor(t.ownerToken)).toMatchObject({ version: "v2" });
    await app.gql(ACCEPT, { id: v2.id }, viewer.token);
    expect(await pendingFor(viewer.token)).toBeNull();
  });

  it("shows a contact on the portal the policy in force until they accept it", async () => {
    const tenant = await app.tenant();
    const contact = await app.gql(
      `mutation { createContact(input: { name: "Paula Portal", email: "paula@example.com" }) { id } }`,
      {},
      tenant.ownerToken,
    );
    const portal = await app.gql(
      `mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`,
      { c: contact.data.createContact.id },
      tenant.ownerToken,
    );
    const token = portal.data.issuePortalToken.token as string;
    expect(await pendingFor(token)).toBeNull();

    const v = await publish(tenant, "2026-03");
    const seen = await app.gql(PENDING, {}, token);
    expect(seen.data.viewer).toEqual({ kind: "CONTACT", pendingPolicy: { id: v.id, version: "2026-03", url: v.url } });
    const list = await app.gql(`{ policyVersions { version summary viewerAcceptedAt } }`, {}, token);
    expect(list.data.policyVersions).toEqual([{ version: "2026-03", summary: "Changes in 2026-03", viewerAcceptedAt: null }]);
    // The acceptance count is for privacy managers.
    expect(codes(await app.gql(`{ policyVersions { acceptanceCount } }`, {}, token))).toEqual(["FORBIDDEN"]);

    const accepted = await app.gql(ACCEPT, { id: v.id }, token);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.acceptPolicyVersion.viewerAcceptedAt).toBeTruthy();
    expect(await pendingFor(token)).toBeNull();
    // The owner has not accepted it; the contact's acceptance is counted.
    expect(await pendingFor(tenant.ownerToken)).toMatchObject({ version: "2026-03" });
    const admin = await app.gql(`{ policyVersions { acceptanceCount viewerAcceptedAt } }`, {}, tenant.ownerToken);
    expect(admin.data.policyVersions).toEqual([{ acceptanceCount: 1, viewerAcceptedAt: null }]);
  });

  it("is always null for API keys, which cannot accept a policy", async () => {
    const tenant = await app.tenant();
    const v = await publish(tenant, "k1");
    const key = await app.apiKey(tenant, ["TICKETS_READ"]);
    expect(await pendingFor(key)).toBeNull();
    expect((await app.gql(`{ policyVersions { version viewerAcceptedAt } }`, {}, key)).data.policyVersions).toEqual([
      { version: "k1", viewerAcceptedAt: null },
    ]);
    const r = await app.gql(ACCEPT, { id: v.id }, key);
    expect(codes(r)).toEqual(["FORBIDDEN"]);
    expect((await app.gql(`{ policyVersions { acceptanceCount } }`, {}, tenant.ownerToken)).data.policyVersions).toEqual([
      { acceptanceCount: 0 },
    ]);
  });

  it("accepting an unknown version is NOT_FOUND", async () => {
    const missing = Buffer.from("PolicyVersion:00000000-0000-4000-8000-000000000000").toString("base64");
    expect(codes(await app.gql(ACCEPT, { id: missing }, t.ownerToken))).toEqual(["NOT_FOUND"]);
  });
});
