import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SearchRequest, SearchTerm } from "../../../src/search/contract.js";
import { startApp, type TestApp, type TestTenant } from "../../../test/support/app.js";
import { parseAllowList } from "../../../src/outbound/allow-list.js";
import { OutboundGuard } from "../../../src/outbound/guard.js";
import { clientFactory } from "../client.js";
import { elasticsearchPlugin } from "../index.js";
import type { OutboxWorker } from "../outbox.js";

/**
 * Against a real cluster, when ELASTICSEARCH_URL is set (and
 * ELASTICSEARCH_API_KEY, unless security is off): what the mock cannot show,
 * the analysis. Indices get a random prefix and are deleted afterwards.
 *   ELASTICSEARCH_URL=http://127.0.0.1:9200 npx vitest run plugins/elasticsearch/test/elasticsearch.live.test.ts
 * A cluster on a private address must be allowed by OUTBOUND_ALLOW_PRIVATE
 * (loopback is, unless that variable says otherwise).
 */
const ALLOW = process.env.OUTBOUND_ALLOW_PRIVATE ?? "127.0.0.0/8,::1";
const URL = process.env.ELASTICSEARCH_URL;
const API_KEY = process.env.ELASTICSEARCH_API_KEY ?? "dW51c2VkOnVudXNlZA==";
const PREFIX = `deskgraph-live-${randomBytes(4).toString("hex")}`;

describe.skipIf(!URL)("Elasticsearch (live cluster)", () => {
  let app: TestApp;
  let worker: OutboxWorker;
  let t: TestTenant;
  const plugin = elasticsearchPlugin({ pollMs: 3_600_000, retryBaseMs: 1, retryCapMs: 1, onWorker: (w) => (worker = w) });
  const client = () => clientFactory()({ node: URL, apiKey: API_KEY }, new OutboundGuard(parseAllowList(ALLOW)));
  const word = (text: string): SearchTerm => ({ kind: "WORD", text, negated: false });
  const request = (text: SearchTerm[][], notes = true): SearchRequest => ({
    query: { text, filters: {} },
    scope: { tenantId: t.id, kinds: ["TICKET", "MESSAGE", "CONTACT"], notes },
    language: "english",
    offset: 0,
    limit: 20,
  });
  const drain = async () => {
    await worker.idle();
    await worker.kick();
    await worker.idle();
    await (await client()).indices.refresh({ index: `${PREFIX}-${t.id}` });
  };
  const search = async (text: SearchTerm[][], notes = true) => {
    const runtime = (await worker.runtimeFor(t.id))!;
    const backend = await plugin.provides!.searchBackend!(runtime);
    if (!backend) throw new Error("no backend: the index is not ready");
    return backend.search(request(text, notes));
  };

  beforeAll(async () => {
    app = await startApp({ OUTBOUND_ALLOW_PRIVATE: ALLOW }, { plugins: [plugin] });
    t = await app.tenant();
  });
  afterAll(async () => {
    await client()
      .then((c) => c.indices.delete({ index: `${PREFIX}-*`, ignore_unavailable: true, allow_no_indices: true }))
      .catch(() => {});
    await app?.close();
  });

  let contactGid: string;
  it("indexes a tenant and finds words by their stem and with a typo, highlighted", async () => {
    const created = await app.gql(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
      {
        i: {
          subject: "All printers are jammed",
          body: "Walter's printers keep jamming since Monday",
          requester: { name: "Walter Whitlock", email: "walter@example.com" },
        },
      },
      t.ownerToken,
    );
    expect(created.errors).toBeUndefined();
    contactGid = created.data.createTicket.requester.id;
    const s = [
      { key: "node", value: URL! },
      { key: "apiKey", value: API_KEY },
      { key: "indexPrefix", value: PREFIX },
    ];
    expect(
      (
        await app.gql(
          `mutation($s: [PluginSettingInput!]!) { configurePlugin(id: "elasticsearch", settings: $s) { id } }`,
          { s },
          t.ownerToken,
        )
      ).errors,
    ).toBeUndefined();
    expect((await app.gql(`mutation { enablePlugin(id: "elasticsearch") { enabled } }`, {}, t.ownerToken)).errors).toBeUndefined();
    await drain();

    const stemmed = await search([[word("printer")], [word("jam")]]);
    expect(stemmed.hits.map((h) => h.kind).sort()).toEqual(["MESSAGE", "TICKET"]);
    expect(stemmed.hits.find((h) => h.kind === "TICKET")!.highlights).toEqual([
      { field: "subject", snippet: "All <mark>printers</mark> are <mark>jammed</mark>" },
    ]);
    const typo = await search([[word("pritners")]]);
    expect(typo.total).toBe(2);
    const name = await search([[word("whitlok")]]);
    expect(name.hits.map((h) => h.kind)).toEqual(["CONTACT"]);
  });

  it("finds nothing of an erased person afterwards", async () => {
    const filed = await app.gql(
      `mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`,
      { i: { contactId: contactGid, type: "ERASURE" } },
      t.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { receipt } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      t.ownerToken,
    );
    expect(done.errors).toBeUndefined();
    expect(done.data.completeDataSubjectRequest.receipt.plugins.find((p: any) => p.pluginId === "elasticsearch")).toMatchObject({
      ok: true,
      deleted: 3,
    });
    await drain();
    for (const text of ["printers", "walter", "Whitlock", "walter@example.com"]) {
      expect((await search([[word(text)]])).total).toBe(0);
    }
  });
});
