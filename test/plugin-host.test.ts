import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shippedPlugins } from "../plugins/index.js";
import { loadConfig } from "../src/config.js";
import { printRecordOfProcessing, rotateSecrets } from "../src/plugin-host/cli.js";
import { ManifestError } from "../src/plugin-host/manifest.js";
import { throughGateway } from "../src/plugin-host/gateway.js";
import { PluginRegistry } from "../src/plugin-host/registry.js";
import { systemContext } from "../src/plugin-host/runtime.js";
import { SecretBox } from "../src/plugin-host/secrets.js";
import { pluginsTable, replaceTable } from "../src/plugin-host/table.js";
import { createServer } from "../src/server.js";
import { echoPlugin, startVendor } from "./support/echo-plugin.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { cli, embeddedEnv } from "./support/cli.js";
import { ALLOW_EVERYTHING, REFUSED_URLS } from "./support/refused-addresses.js";

const KEY = randomBytes(32).toString("base64");
let app: TestApp;
let vendor: Awaited<ReturnType<typeof startVendor>>;
let t: TestTenant;
let ticketId: string;
let contactId: string;

const PLUGIN = `{ plugin(id: "test-echo") { enabled transfer settings { key secret isSet value } acceptance { acceptedBy { id } manifestVersion locations dataCategories } } }`;
const configure = (token: string, settings: { key: string; value: string | null }[]) =>
  app.gql(
    `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "test-echo", settings: $s) { settings { key isSet value } } }`,
    { s: settings },
    token,
  );
const enable = (token: string, acceptTransfer?: boolean) =>
  app.gql(`mutation($a: Boolean) { enablePlugin(id: "test-echo", acceptTransfer: $a) { enabled transfer } }`, { a: acceptTransfer }, token);
const reply = (body: string) =>
  app.gql(
    `mutation($id: ID!, $b: String!) { addMessage(input: { ticketId: $id, body: $b }) { id } }`,
    { id: ticketId, b: body },
    t.ownerToken,
  );
const calls = async () =>
  (
    await app.gql(
      `{ pluginCalls(first: 50) { edges { node { operation purpose categories subjectIds outcome errorCode } } } }`,
      {},
      t.ownerToken,
    )
  ).data.pluginCalls.edges.map((e: any) => e.node);
/** What a plugin's code runs with in the tenant, as loaded from this definition of it. */
const pluginContext = (definition: ReturnType<typeof echoPlugin>) => {
  const config = loadConfig({ DATA_DIR: "memory://", ENCRYPTION_KEY: KEY, LOG_LEVEL: "silent" });
  const plugins = {
    registry: new PluginRegistry([definition]),
    secrets: new SecretBox(config.encryptionKey),
    database: app.database,
    log: app.server.log,
  };
  return systemContext({ config, database: app.database, log: app.server.log, plugins } as never, t.id, "test-echo");
};
const rawContactId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1];

beforeAll(async () => {
  vendor = await startVendor();
  app = await startApp({ ENCRYPTION_KEY: KEY });
  t = await app.tenant();
  const created = await app.gql(
    `mutation { createTicket(input: { subject: "Help", body: "first", requester: { name: "Sam", email: "sam@example.com" } }) { id requester { id } } }`,
    {},
    t.ownerToken,
  );
  ticketId = created.data.createTicket.id;
  contactId = created.data.createTicket.requester.id;
});
afterAll(async () => {
  await app?.close();
  await vendor?.close();
});

describe("manifests", () => {
  it("are checked at start; a broken one stops the server with a clear message", async () => {
    const broken = [
      echoPlugin({ vendor: { legalName: "X", country: "USA" } }),
      echoPlugin({ dataCategories: ["user.shoe.size" as never] }),
      echoPlugin({ transferMechanism: "EEA" }),
      { ...echoPlugin(), erase: undefined },
      echoPlugin({ processingLocations: ["IN"], transferMechanism: "ADEQUACY" }),
    ];
    const messages = broken.map((def) => {
      try {
        new PluginRegistry([def]);
        return "accepted";
      } catch (err) {
        expect(err).toBeInstanceOf(ManifestError);
        return (err as Error).message;
      }
    });
    expect(messages[0]).toMatch(/test-echo[\s\S]*vendor\.country/);
    expect(messages[1]).toMatch(/dataCategories\.0/);
    expect(messages[2]).toMatch(/processes in US: EEA is not a valid transfer mechanism/);
    expect(messages[3]).toMatch(/storesData but has no erase hook/);
    expect(messages[4]).toMatch(/processes in IN, which has no EU adequacy decision: ADEQUACY is not a valid transfer mechanism/);
    // A country with an adequacy decision may rely on it.
    expect(() => new PluginRegistry([echoPlugin({ processingLocations: ["JP"], transferMechanism: "ADEQUACY" })])).not.toThrow();
    // A vendor that is the tenant's own account keeps what the tenant keeps there, and says so.
    const own = echoPlugin({ retention: { kind: "TENANT_ACCOUNT" } });
    expect(pluginsTable([own])).toContain("| as long as the tenant keeps it in its own account |");
    await expect(
      createServer(loadConfig({ PORT: "0", DATA_DIR: "memory://", LOG_LEVEL: "silent" }), {
        database: app.database,
        plugins: [broken[0]!],
      }),
    ).rejects.toThrow(ManifestError);
  });

  it("are listed with everything an admin needs to decide", async () => {
    const r = await app.gql(
      `{ plugins { id name vendorLegalName vendorCountry processingLocations transferMechanism dataCategories purposes { purpose legalBasis } retentionDays transient dpaUrl storesData enabled transfer } }`,
      {},
      t.ownerToken,
    );
    expect(r.data.plugins.find((p: any) => p.id === "test-echo")).toEqual({
      id: "test-echo",
      name: "Echo assistant",
      vendorLegalName: "Echo Test Inc.",
      vendorCountry: "US",
      processingLocations: ["US"],
      transferMechanism: "SCC",
      dataCategories: ["user.content.message"],
      purposes: [{ purpose: "ai.assistance", legalBasis: "LEGITIMATE_INTEREST" }],
      retentionDays: 30,
      transient: false,
      dpaUrl: "https://echo.example/dpa",
      storesData: true,
      enabled: false,
      transfer: "ACCEPTANCE_REQUIRED",
    });
  });
});

describe("per-tenant configuration", () => {
  it("keeps secrets encrypted at rest and write-only", async () => {
    expect(codes(await configure(t.ownerToken, [{ key: "nope", value: "x" }]))).toEqual(["VALIDATION"]);
    const r = await configure(t.ownerToken, [
      { key: "endpoint", value: vendor.url },
      { key: "apiKey", value: "sk-very-secret-value" },
    ]);
    expect(r.data.configurePlugin.settings).toEqual([
      { key: "endpoint", isSet: true, value: vendor.url },
      { key: "apiKey", isSet: true, value: null },
    ]);
    const row = await app.database.prisma.pluginInstall.findFirstOrThrow({ where: { tenantId: t.id } });
    expect(JSON.stringify(row)).not.toContain("sk-very-secret-value");
    expect((row.secrets as Record<string, string>).apiKey).toMatch(/^v1:[0-9a-f]{8}:/);
  });

  it("needs the transfer accepted for an EU tenant, and records who accepted what", async () => {
    const refused = await enable(t.ownerToken);
    expect(codes(refused)).toEqual(["TRANSFER_ACCEPTANCE_REQUIRED"]);
    expect(refused.errors![0]!.extensions).toMatchObject({ locations: ["US"], transferMechanism: "SCC" });
    const agent = await app.agent(t, "AGENT");
    expect(codes(await enable(agent.token, true))).toEqual(["FORBIDDEN"]);

    expect((await enable(t.ownerToken, true)).data.enablePlugin).toEqual({ enabled: true, transfer: "ACCEPTED" });
    const state = (await app.gql(PLUGIN, {}, t.ownerToken)).data.plugin;
    const owner = (await app.gql(`{ viewer { agent { id } } }`, {}, t.ownerToken)).data.viewer.agent.id;
    expect(state.acceptance).toEqual({
      acceptedBy: { id: owner },
      manifestVersion: "1.0.0",
      locations: ["US"],
      dataCategories: ["user.content.message"],
    });
  });

  it("needs no acceptance when the tenant has no residency requirement", async () => {
    const other = await app.tenant();
    await app.database.prisma.tenant.update({ where: { id: other.id }, data: { dataResidency: "ANY" } });
    await configure(other.ownerToken, [
      { key: "endpoint", value: vendor.url },
      { key: "apiKey", value: "k" },
    ]);
    expect((await enable(other.ownerToken)).data.enablePlugin).toEqual({ enabled: true, transfer: "NOT_NEEDED" });
  });

  it("refuses to enable before the required settings are there", async () => {
    const other = await app.tenant();
    const r = await enable(other.ownerToken, true);
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(r.errors![0]!.extensions!.fields.map((f: any) => f.path)).toEqual([
      ["settings", "endpoint"],
      ["settings", "apiKey"],
    ]);
  });
});

describe("URL settings", () => {
  // Every setting that names a place the server calls: a tenant admin must not aim it at the server's own network.
  const urlSettings = new PluginRegistry(shippedPlugins)
    .list()
    .flatMap((p) => p.manifest.config.filter((f) => f.type === "url").map((f) => ({ plugin: p.manifest.id, key: f.key })));
  const save = (server: TestApp, token: string, plugin: string, key: string, value: string) =>
    server.gql(
      `mutation($p: String!, $s: [PluginSettingInput!]!) { configurePlugin(id: $p, settings: $s) { settings { key value } } }`,
      { p: plugin, s: [{ key, value }] },
      token,
    );

  it("are declared by the shipped plugins that call a tenant-chosen address", () => {
    expect(urlSettings).toEqual([
      { plugin: "attachmentscanner", key: "apiBaseUrl" },
      { plugin: "deepl", key: "serverUrl" },
      { plugin: "elasticsearch", key: "node" },
      { plugin: "openai", key: "apiBaseUrl" },
      { plugin: "twilio-sms", key: "apiBaseUrl" },
    ]);
  });

  it("refuse every spelling of a loopback, private, link-local, multicast or reserved address, naming the setting, and save nothing", async () => {
    for (const { plugin, key } of urlSettings) {
      for (const url of REFUSED_URLS) {
        const r = await save(app, t.ownerToken, plugin, key, url);
        expect(codes(r), `${plugin}.${key} = ${url}`).toEqual(["ADDRESS_NOT_ALLOWED"]);
        expect(r.errors![0]!.extensions!.fields, url).toEqual([
          { path: ["settings", key], message: expect.stringMatching(/ address: not allowed for outbound calls$/) },
        ]);
      }
      for (const url of ["ftp://example.com/", "not a url", "file:///etc/passwd"]) {
        const r = await save(app, t.ownerToken, plugin, key, url);
        expect(codes(r), url).toEqual(["VALIDATION"]);
        expect(r.errors![0]!.extensions!.fields[0].path).toEqual(["settings", key]);
      }
      const stored = await app.database.prisma.pluginInstall.findFirst({ where: { tenantId: t.id, pluginId: plugin } });
      expect((stored?.config as Record<string, string> | undefined)?.[key]).toBeUndefined();
    }
  });

  it("are accepted once the operator lists the networks, never through a tenant setting", async () => {
    const open = await startApp({ OUTBOUND_ALLOW_PRIVATE: ALLOW_EVERYTHING });
    try {
      const o = await open.tenant();
      for (const { plugin, key } of urlSettings) {
        for (const url of REFUSED_URLS)
          expect(codes(await save(open, o.ownerToken, plugin, key, url)), `${plugin}.${key} = ${url}`).toEqual([]);
      }
    } finally {
      await open.close();
    }
    // A server of its own and one saved setting per spelling and plugin (some 150 writes): more than the default bound
    // on a loaded machine.
  }, 120_000);
});

describe("the gateway", () => {
  it("sends through an enabled plugin and records the call without its payload", async () => {
    const before = vendor.received.length;
    await reply("A reply about the secret project");
    expect(vendor.received.length).toBe(before + 1);
    const sent = vendor.received.at(-1)!;
    expect(sent).toMatchObject({
      path: "/assist",
      authorization: "Bearer sk-very-secret-value",
      body: { text: "A reply about the secret project" },
    });
    const last = (await calls())[0];
    expect(last).toEqual({
      operation: "assist",
      purpose: "ai.assistance",
      categories: ["user.content.message"],
      subjectIds: [rawContactId(contactId)],
      outcome: "OK",
      errorCode: null,
    });
    const stored = await app.database.prisma.pluginCall.findMany();
    expect(JSON.stringify(stored)).not.toContain("secret project");
  });

  it("records a vendor failure", async () => {
    vendor.failNext(1);
    await reply("vendor is down");
    expect((await calls())[0]).toMatchObject({ outcome: "FAILED", errorCode: "VENDOR_UNAVAILABLE" });
  });

  it("refuses, before any request leaves, when the data subject objected to the purpose", async () => {
    await app.gql(
      `mutation($c: ID!) { objectToProcessing(input: { contactId: $c, purpose: "ai.assistance" }) { id } }`,
      { c: contactId },
      t.ownerToken,
    );
    const before = vendor.received.length;
    await reply("not for the assistant");
    expect(vendor.received.length).toBe(before);
    expect((await calls())[0]).toMatchObject({ outcome: "REFUSED", errorCode: "CONSENT_REQUIRED" });
    await app.gql(
      `mutation($c: ID!) { withdrawObjection(input: { contactId: $c, purpose: "ai.assistance" }) { id } }`,
      { c: contactId },
      t.ownerToken,
    );
  });

  it("refuses at once when the plugin is disabled", async () => {
    await app.gql(`mutation { disablePlugin(id: "test-echo") { enabled } }`, {}, t.ownerToken);
    const before = vendor.received.length;
    await reply("plugin off");
    expect(vendor.received.length).toBe(before);
    // The plugin is told, tries, and the gateway refuses before anything leaves.
    expect((await calls())[0]).toMatchObject({ outcome: "REFUSED", errorCode: "PLUGIN_DISABLED" });
    const hook = await fetch(app.url.replace("/graphql", `/plugins/test-echo/${t.slug}/ping`), { method: "POST" });
    expect(hook.status).toBe(404);
    await enable(t.ownerToken, true);
    const again = await fetch(app.url.replace("/graphql", `/plugins/test-echo/${t.slug}/ping`), { method: "POST" });
    expect(await again.text()).toBe("echo ping");
  });

  it("lets a disabled plugin only delete at its vendor, never send data about someone", async () => {
    await app.gql(`mutation { disablePlugin(id: "test-echo") { enabled } }`, {}, t.ownerToken);
    const ctx = pluginContext(echoPlugin());
    const before = vendor.received.length;
    const erase = {
      operation: "erase",
      purpose: "ai.assistance" as const,
      categories: ["user.content.message" as const],
      subjectIds: [],
      deletesOnly: true,
    };
    await throughGateway(ctx, "test-echo", erase, async () => void (await fetch(`${vendor.url}/erase`, { method: "POST", body: "{}" })));
    expect(vendor.received.length).toBe(before + 1);
    // Naming a subject is sending data about them: refused like any other call of a disabled plugin would be.
    const named = throughGateway(ctx, "test-echo", { ...erase, subjectIds: [rawContactId(contactId)!] }, async () =>
      fetch(`${vendor.url}/erase`),
    );
    await expect(named).rejects.toMatchObject({ extensions: { code: "PLUGIN_UNDECLARED_PROCESSING" } });
    expect(vendor.received.length).toBe(before + 1);
    expect((await calls()).slice(0, 2)).toMatchObject([
      { operation: "erase", outcome: "REFUSED", errorCode: "PLUGIN_UNDECLARED_PROCESSING" },
      { operation: "erase", outcome: "OK" },
    ]);
    await enable(t.ownerToken, true);
  });

  it("asks for a new acceptance when the manifest adds a location, and refuses calls until then", async () => {
    const changed = echoPlugin({ version: "1.1.0", processingLocations: ["US", "IN"] });
    const second = await createServer(loadConfig({ PORT: "0", DATA_DIR: "memory://", LOG_LEVEL: "silent", ENCRYPTION_KEY: KEY }), {
      database: app.database,
      plugins: [changed],
    });
    try {
      const gql = (query: string) =>
        fetch(second.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${t.ownerToken}` },
          body: JSON.stringify({ query }),
        }).then((r) => r.json() as Promise<any>);
      expect((await gql(`{ plugin(id: "test-echo") { enabled transfer } }`)).data.plugin).toEqual({
        enabled: true,
        transfer: "ACCEPTANCE_REQUIRED",
      });
      // A call made by this version, the way its message hook makes one. (Not through addMessage on this server: the
      // first server, still on 1.0.0 like an instance not yet upgraded, may be the one whose hook hears of the message,
      // and it sends under the acceptance of 1.0.0.)
      const before = vendor.received.length;
      const assist = {
        operation: "assist",
        purpose: "ai.assistance" as const,
        categories: ["user.content.message" as const],
        subjectIds: [rawContactId(contactId)!],
      };
      const call = throughGateway(pluginContext(changed), "test-echo", assist, async () =>
        fetch(`${vendor.url}/assist`, { method: "POST", body: "{}" }),
      );
      await expect(call).rejects.toMatchObject({ extensions: { code: "TRANSFER_NOT_ACCEPTED" } });
      expect(vendor.received.length).toBe(before);
      const sent = await gql(`{ pluginCalls(first: 1) { edges { node { outcome errorCode } } } }`);
      expect(sent.data.pluginCalls.edges[0].node).toEqual({ outcome: "REFUSED", errorCode: "TRANSFER_NOT_ACCEPTED" });
      const accepted = await gql(
        `mutation { enablePlugin(id: "test-echo", acceptTransfer: true) { transfer acceptance { manifestVersion locations } } }`,
      );
      expect(accepted.data.enablePlugin).toEqual({
        transfer: "ACCEPTED",
        acceptance: { manifestVersion: "1.1.0", locations: ["US", "IN"] },
      });
    } finally {
      await second.close();
    }
  });
});

describe("the audit log", () => {
  it("records configuration, enabling with the accepted transfer, and every call, without values or payloads", async () => {
    const r = await app.gql(
      `{ auditLog(first: 100, filter: { actionPrefix: "plugin." }) { edges { node { action subjectId categories details } } } }`,
      {},
      t.ownerToken,
    );
    const entries = r.data.auditLog.edges.map((e: any) => e.node);
    const actions = new Set(entries.map((e: any) => e.action));
    expect([...actions].sort()).toEqual(["plugin.call", "plugin.configured", "plugin.disabled", "plugin.enabled"]);
    expect(entries.filter((e: any) => e.action === "plugin.configured").at(-1).details).toEqual({
      pluginId: "test-echo",
      settings: ["endpoint", "apiKey"],
    });
    const firstAcceptance = entries.filter((e: any) => e.action === "plugin.enabled" && e.details.transferAccepted).at(-1);
    expect(firstAcceptance.details).toMatchObject({
      pluginId: "test-echo",
      manifestVersion: "1.0.0",
      locations: ["US"],
      transferMechanism: "SCC",
    });
    const call = entries.find((e: any) => e.action === "plugin.call" && e.details.operation === "assist" && e.details.outcome === "OK");
    expect(call).toMatchObject({
      subjectId: rawContactId(contactId),
      categories: ["user.content.message"],
      details: { pluginId: "test-echo", purpose: "ai.assistance" },
    });
    expect(JSON.stringify(entries)).not.toMatch(/sk-very-secret-value|secret project/);
  });
});

describe("a call about several people", () => {
  it("is in the audit log of each of them", async () => {
    const second = await app.gql(
      `mutation { createContact(input: { name: "Second Person", email: "second@example.org" }) { id } }`,
      {},
      t.ownerToken,
    );
    const secondId = second.data.createContact.id;
    const ctx = pluginContext(echoPlugin());
    const both = [rawContactId(contactId)!, rawContactId(secondId)!];
    await throughGateway(
      ctx,
      "test-echo",
      { operation: "digest", purpose: "ai.assistance", categories: ["user.content.message"], subjectIds: both },
      async () => null,
    );
    await app.server.sequenced(t.id);
    for (const id of [contactId, secondId]) {
      const r = await app.gql(
        `query($id: ID!) { auditLog(first: 5, filter: { subjectId: $id, actionPrefix: "plugin.call" }) { edges { node { subjectIds details } } } }`,
        { id },
        t.ownerToken,
      );
      const digest = r.data.auditLog.edges.map((e: any) => e.node).find((n: any) => n.details.operation === "digest");
      expect(digest?.subjectIds).toEqual([...both].sort());
    }
  });
});

describe("record of processing and subprocessors", () => {
  it("list the enabled plugin with its transfer, retention and safeguard", async () => {
    const r = await app.gql(`{ recordOfProcessing { markdown json } }`, {}, t.ownerToken);
    const record = r.data.recordOfProcessing.json;
    const ai = record.activities.find((a: any) => a.purpose === "ai.assistance");
    expect(ai.recipients).toContain("Echo Test Inc. (Echo assistant)");
    expect(ai.transfers).toEqual([{ recipient: "Echo Test Inc.", countries: ["US"], safeguard: "SCC" }]);
    expect(record.processors.map((p: any) => p.name)).toEqual(
      expect.arrayContaining([
        app.database.kind === "embedded" ? "Embedded PostgreSQL database" : "PostgreSQL database",
        "Backups",
        "Application logs",
        "Echo assistant",
      ]),
    );
    expect(r.data.recordOfProcessing.markdown).toContain(
      "| Echo assistant | Echo Test Inc. | US | US | SCC | user.content.message | 30 days at the vendor |",
    );
    const md = await printRecordOfProcessing(app.database, new PluginRegistry([echoPlugin()]), t.slug, "md");
    expect(md).toMatch(/^# Record of processing activities — Tenant /);
    expect(
      JSON.parse(await printRecordOfProcessing(app.database, new PluginRegistry([echoPlugin()]), t.slug, "json")).controller.slug,
    ).toBe(t.slug);
  });

  it("publish the subprocessor list without credentials", async () => {
    const r = await app.gql(
      `query($t: String!) { subprocessors(tenant: $t) { name vendor country processingLocations transferMechanism purposes retention dpaUrl } }`,
      { t: t.slug },
    );
    expect(r.data.subprocessors).toEqual([
      {
        name: "Echo assistant",
        vendor: "Echo Test Inc.",
        country: "US",
        processingLocations: ["US"],
        transferMechanism: "SCC",
        purposes: ["ai.assistance"],
        retention: "30 days at the vendor",
        dpaUrl: "https://echo.example/dpa",
      },
    ]);
    expect(codes(await app.gql(`{ subprocessors(tenant: "no-such-tenant") { name } }`))).toEqual(["NOT_FOUND"]);
  });

  it("work as a command", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-ropa-"));
    // As `deskgraph seed` and `deskgraph ropa` run them, in this process.
    const env = embeddedEnv(dir);
    expect(await cli(["seed"], env)).toMatchObject({ code: 0 });
    const ropa = await cli(["ropa", "--tenant", "demo", "--format", "json"], env);
    expect(ropa.code, ropa.err).toBe(0);
    expect(JSON.parse(ropa.out).controller).toEqual({ name: "Demo Support", slug: "demo", dataResidency: "EU" });
  }, 60_000);
});

describe("secrets", () => {
  it("rotate to a new key while the old one still opens them", async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const sealed = new SecretBox(oldKey).seal("token");
    const both = new SecretBox(newKey, [oldKey]);
    expect(both.open(sealed)).toBe("token");
    expect(both.isStale(sealed)).toBe(true);
    const resealed = both.rotate(sealed);
    expect(new SecretBox(newKey).open(resealed)).toBe("token");
    expect(() => new SecretBox(newKey).open(sealed)).toThrow(/unknown key/);
    const tampered = resealed.slice(0, -4) + (resealed.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect(() => both.open(tampered)).toThrow();
  });

  it("are re-sealed in the database by the rotation command", async () => {
    const oldKey = randomBytes(32);
    const other = await startApp({ ENCRYPTION_KEY: oldKey.toString("base64") });
    try {
      const owner = await other.tenant();
      await other.gql(
        `mutation { configurePlugin(id: "test-echo", settings: [{ key: "apiKey", value: "rotate-me" }]) { id } }`,
        {},
        owner.ownerToken,
      );
      const newKey = randomBytes(32);
      const box = new SecretBox(newKey, [oldKey]);
      expect(await rotateSecrets(other.database, box)).toBe(1);
      expect(await rotateSecrets(other.database, box)).toBe(0);
      const row = await other.database.prisma.pluginInstall.findFirstOrThrow({ where: { tenantId: owner.id } });
      expect(new SecretBox(newKey).open((row.secrets as Record<string, string>).apiKey!)).toBe("rotate-me");
    } finally {
      await other.close();
    }
  });
});

describe("the boundary between core and vendors", () => {
  it("keeps vendor SDKs out of src/", () => {
    const vendorSdks = /from ["'](twilio|stripe|@elastic\/elasticsearch|openai|@anthropic-ai\/sdk|@mistralai\/[^"']+)["']/;
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) {
          if (name !== "generated") walk(file);
        } else if (file.endsWith(".ts") && vendorSdks.test(readFileSync(file, "utf8"))) offenders.push(file);
      }
    };
    walk("src");
    expect(offenders).toEqual([]);
  });

  it("documents the shipped plugins in docs/plugins.md, generated from their manifests", () => {
    const readme = readFileSync("docs/plugins.md", "utf8");
    expect(replaceTable(readme, pluginsTable(shippedPlugins)), "run npm run plugins:table").toBe(readme);
  });
});

describe("a plugin without settings", () => {
  it("is enabled without configuring it first", async () => {
    const bare = await startApp({}, { plugins: [echoPlugin({ id: "test-bare", config: [] })] });
    try {
      const b = await bare.tenant();
      const r = await bare.gql(
        `mutation { enablePlugin(id: "test-bare", acceptTransfer: true) { enabled settings { key } } }`,
        {},
        b.ownerToken,
      );
      expect(r.errors).toBeUndefined();
      expect(r.data.enablePlugin).toEqual({ enabled: true, settings: [] });
      expect(await bare.database.forTenant(b.id).pluginInstall.count({ where: { pluginId: "test-bare", enabled: true } })).toBe(1);
    } finally {
      await bare.close();
    }
  });
});
