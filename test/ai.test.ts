import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import { seedSolvedTickets } from "./support/ai-tickets.js";
import { readExportArchive } from "./support/export-archive.js";
import { sweep } from "../src/retention/sweep.js";

let app: TestApp;
let t: TestTenant;
let solved: Awaited<ReturnType<typeof seedSolvedTickets>>;
let ticket: string;
let requester: string;

const raw = (id: string) => Buffer.from(id, "base64").toString().split(":")[1]!;

const ANSWER = `suggestion { id kind accepted } text alternatives sourceTickets { id } provider model fellBackFrom truncated notices
  classification { tags { value confidence } priority { value confidence } language { value confidence } sentiment { value confidence } }`;
const SUGGEST = `mutation($id: ID!) { suggestReply(ticketId: $id) { ${ANSWER} } }`;
const SUMMARIZE = `mutation($id: ID!) { summarizeTicket(ticketId: $id) { ${ANSWER} } }`;
const CLASSIFY = `mutation($id: ID!) { classifyTicket(ticketId: $id) { ${ANSWER} } }`;
const SIMILAR = `query($id: ID!) { similarTickets(ticketId: $id) { tickets { score ticket { id subject } } } }`;
const ACCEPT = `mutation($id: ID!) { acceptSuggestion(id: $id) { id accepted acceptedByType acceptedById } }`;
const CALLS = `query($f: AiCallFilter) { aiCalls(first: 50, filter: $f) { totalCount edges { node {
  provider model operation purpose ticketId subjectIds promptSha256 answerSha256 inputTokens outputTokens latencyMs outcome errorCode } } } }`;

async function newTicket(
  subject: string,
  body: string,
  requesterInput: Record<string, unknown> = { name: "Ada Lovelace", email: "ada@example.org" },
) {
  const r = await app.gql(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    { i: { subject, body, requester: requesterInput } },
    t.ownerToken,
  );
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return { id: r.data.createTicket.id as string, requester: r.data.createTicket.requester.id as string };
}

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  solved = await seedSolvedTickets(app, t);
  ({ id: ticket, requester } = await newTicket(
    "Charged twice, need a refund",
    "Hello, my invoice charges my card twice for the subscription. Please refund the double charge. Ada",
  ));
});
afterAll(() => app?.close());

describe("the local provider, before the tenant's model is trained", () => {
  it("classifies language and sentiment and summarises, and says that tags, priority and replies follow", async () => {
    const fresh = await app.tenant();
    const own = await app.gql(
      `mutation { createTicket(input: { subject: "Terrible service", body: "This is unacceptable, I am still waiting for my refund!!", requester: { name: "Bo" } }) { id } }`,
      {},
      fresh.ownerToken,
    );
    const r = await app.gql(CLASSIFY, { id: own.data.createTicket.id }, fresh.ownerToken);
    expect(r.errors).toBeUndefined();
    const a = r.data.classifyTicket;
    expect(a.provider).toBe("local");
    expect(a.classification.tags).toEqual([]);
    expect(a.classification.priority).toBeNull();
    expect(a.classification.language.value).toBe("en");
    expect(a.classification.sentiment.value).toBe("NEGATIVE");
    expect(a.notices.join(" ")).toMatch(/not trained yet/);
    const reply = await app.gql(SUGGEST, { id: own.data.createTicket.id }, fresh.ownerToken);
    expect(reply.data.suggestReply).toMatchObject({ text: null, suggestion: null });
  });
});

describe("the local provider, trained on the tenant's own tickets", () => {
  beforeAll(() => app.server.trainAi(t.id));

  it("suggests the tags and priority of similar tickets, the language and the mood", async () => {
    const r = await app.gql(CLASSIFY, { id: ticket }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    const c = r.data.classifyTicket.classification;
    expect(c.tags[0].value).toBe("billing");
    expect(c.tags.map((x: any) => x.value)).not.toContain("login");
    expect(c.priority.value).toBe("HIGH");
    expect(c.priority.confidence).toBeGreaterThan(0.5);
    expect(c.language.value).toBe("en");
    expect(r.data.classifyTicket.suggestion.kind).toBe("CLASSIFICATION");
  });

  it("finds the similar solved tickets, best first, and never the ticket itself", async () => {
    const r = await app.gql(SIMILAR, { id: ticket }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    const ids = r.data.similarTickets.tickets.map((s: any) => s.ticket.id);
    expect(ids).not.toContain(ticket);
    expect(ids.slice(0, 3).sort()).toEqual([solved[0]!.ticketId, solved[1]!.ticketId, solved[2]!.ticketId].sort());
    const scores = r.data.similarTickets.tickets.map((s: any) => s.score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
  });

  it("compares public words only, offers solved and closed tickets only, and stays in the tenant", async () => {
    // Words only an internal note shares, an open ticket sharing every word, and another tenant's twin.
    const noteOnly = await newTicket("Printer jammed on floor three", "The office printer jams on every page.", { name: "Cy Young" });
    await app.gql(
      `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "Refund double charge invoice subscription card", internal: true }) { id } updateTicket(id: $id, input: { status: SOLVED }) { id } }`,
      { id: noteOnly.id },
      t.ownerToken,
    );
    const open = await newTicket("Charged twice, need a refund", "My invoice charges my card twice for the subscription.", {
      name: "Di Open",
    });
    const other = await app.tenant();
    const twin = await app.gql(
      `mutation { createTicket(input: { subject: "Charged twice, need a refund", body: "My invoice charges my card twice for the subscription.", requester: { name: "Ed Else" } }) { id } }`,
      {},
      other.ownerToken,
    );
    await app.gql(
      `mutation($id: ID!) { updateTicket(id: $id, input: { status: SOLVED }) { id } }`,
      { id: twin.data.createTicket.id },
      other.ownerToken,
    );

    const before = app.database.queryCount;
    const r = await app.gql(SIMILAR, { id: ticket }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    const ids = r.data.similarTickets.tickets.map((s: any) => s.ticket.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).not.toContain(noteOnly.id);
    expect(ids).not.toContain(open.id);
    expect(ids).not.toContain(twin.data.createTicket.id);
    // Settings, the ticket's people (2), its messages' ids, consent (2), plugins, one statement of the search, the call's record and
    // its audit, the hits' requesters and their consent (2), the page of tickets and the access record.
    expect(app.database.queryCount - before).toBeLessThanOrEqual(15);
  });

  it("suggests the reply of the most similar solved ticket, addressed to this customer, with the other customer's name taken out", async () => {
    const r = await app.gql(SUGGEST, { id: ticket }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    const a = r.data.suggestReply;
    expect(a.provider).toBe("local");
    expect(a.text).toMatch(/refund/i);
    expect(a.text).toContain("Ada Lovelace");
    expect(JSON.stringify(a)).not.toMatch(/Customer[A-F]/);
    // From one of the billing tickets, with the others as alternatives.
    expect(solved.slice(0, 3).map((s) => s.ticketId)).toContain(a.sourceTickets[0].id);
    expect(a.alternatives.length).toBe(a.sourceTickets.length - 1);
    expect(a.suggestion).toMatchObject({ kind: "REPLY", accepted: false });
  });

  it("summarises with the ticket's own sentences", async () => {
    const r = await app.gql(SUMMARIZE, { id: ticket }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.summarizeTicket.text).toMatch(/^- Customer: .*refund the double charge/m);
  });

  it("records acceptance once, audited, and changes nothing on the ticket", async () => {
    const before = await app.gql(`query($id: ID!) { ticket(id: $id) { status messages { totalCount } } }`, { id: ticket }, t.ownerToken);
    const r = await app.gql(SUGGEST, { id: ticket }, t.ownerToken);
    const id = r.data.suggestReply.suggestion.id;
    const accepted = await app.gql(ACCEPT, { id }, t.ownerToken);
    expect(accepted.data.acceptSuggestion).toMatchObject({ accepted: true, acceptedByType: "AGENT", acceptedById: t.ownerId });
    expect(codes(await app.gql(ACCEPT, { id }, t.ownerToken))).toEqual(["CONFLICT"]);
    const after = await app.gql(`query($id: ID!) { ticket(id: $id) { status messages { totalCount } } }`, { id: ticket }, t.ownerToken);
    expect(after.data).toEqual(before.data);
    await app.sequenced(t);
    const audit = await app.gql(
      `{ auditLog(first: 5, filter: { action: "ai.suggestionAccepted" }) { edges { node { details } } } }`,
      {},
      t.ownerToken,
    );
    expect(audit.data.auditLog.edges[0].node.details).toMatchObject({ suggestionId: raw(id), kind: "REPLY", provider: "local" });
  });

  it("records every call with digests, never the text", async () => {
    const r = await app.gql(CALLS, { f: { ticketId: ticket } }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    const calls = r.data.aiCalls.edges.map((e: any) => e.node);
    expect(calls.map((c: any) => c.operation)).toEqual(expect.arrayContaining(["classify", "similar", "suggestReply", "summarize"]));
    for (const c of calls) {
      expect(c).toMatchObject({
        provider: "local",
        purpose: "ai.assistance",
        ticketId: raw(ticket),
        subjectIds: [raw(requester)],
        outcome: "OK",
      });
      expect(c.promptSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(c.answerSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const stored = JSON.stringify(await app.database.prisma.pluginCall.findMany({ where: { tenantId: t.id } }));
    // Whole words: a record id in hex may hold "ada".
    expect(stored).not.toMatch(/double charge|\bAda\b|refund/i);
    await app.sequenced(t);
    const audited = await app.gql(
      `{ auditLog(first: 50, filter: { action: "ai.call" }) { totalCount edges { node { subjectIds details } } } }`,
      {},
      t.ownerToken,
    );
    expect(audited.data.auditLog.totalCount).toBeGreaterThanOrEqual(calls.length);
    expect(audited.data.auditLog.edges[0].node.details).toMatchObject({
      pluginId: "local",
      model: "local-naive-bayes-tfidf",
      outcome: "OK",
    });
    expect(JSON.stringify(audited.data)).not.toMatch(/double charge|refund/i);
  });

  it("lists the calls about a person in their data export, without what was sent", async () => {
    const filed = await app.gql(
      `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ACCESS }) { id } }`,
      { c: requester },
      t.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status receipt export { url } } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      t.ownerToken,
    );
    expect(done.data.completeDataSubjectRequest.receipt.counts.processingCalls).toBeGreaterThan(3);
    const res = await fetch(done.data.completeDataSubjectRequest.export.url);
    const { document } = await readExportArchive(Buffer.from(await res.arrayBuffer()));
    const calls = document.processingCalls;
    expect(calls.map((c: any) => c.operation)).toEqual(expect.arrayContaining(["classify", "similar", "suggestReply", "summarize"]));
    // Similar tickets are found by the search backend, the rest by the tenant's own models.
    const model = (c: any) => (c.operation === "similar" ? "search-backend" : "local-naive-bayes-tfidf");
    expect(calls.every((c: any) => c.service === "local" && c.model === model(c) && c.purpose === "ai.assistance")).toBe(true);
    expect(JSON.stringify(calls)).not.toMatch(/double charge|refund/i);
  });
});

describe("refusals and bad input", () => {
  it("refuses every operation, the local provider's too, once the customer objected to ai.assistance, and leaves them out of training", async () => {
    const other = await newTicket("Invoice refund needed", "My invoice charged me twice, refund please", {
      name: "Otto Objector",
      email: "otto@example.org",
    });
    const objected = await app.gql(
      `mutation($c: ID!) { objectToProcessing(input: { contactId: $c, purpose: "ai.assistance" }) { id } }`,
      { c: other.requester },
      t.ownerToken,
    );
    expect(objected.errors).toBeUndefined();
    for (const op of [SUGGEST, SUMMARIZE, CLASSIFY, SIMILAR]) {
      const r = await app.gql(op, { id: other.id }, t.ownerToken);
      expect(codes(r), op).toEqual(["CONSENT_REQUIRED"]);
    }
    const refused = await app.gql(CALLS, { f: { ticketId: other.id, outcome: "REFUSED" } }, t.ownerToken);
    expect(refused.data.aiCalls.totalCount).toBe(4);
    expect(refused.data.aiCalls.edges[0].node).toMatchObject({ errorCode: "CONSENT_REQUIRED", answerSha256: null });

    // One of the solved tickets' customers objects: the model is dropped at once and its next training leaves them out.
    const objector = solved[0]!;
    await app.gql(
      `mutation($c: ID!) { objectToProcessing(input: { contactId: $c, purpose: "ai.assistance" }) { id } }`,
      { c: objector.contactId },
      t.ownerToken,
    );
    await app.server.trainAi(t.id);
    const similar = await app.gql(SIMILAR, { id: ticket }, t.ownerToken);
    expect(similar.data.similarTickets.tickets.map((s: any) => s.ticket.id)).not.toContain(objector.ticketId);
    expect(similar.data.similarTickets.tickets.length).toBeGreaterThan(0);
    // Lifting the objection lets their ticket back in at the next training.
    await app.gql(
      `mutation($c: ID!) { withdrawObjection(input: { contactId: $c, purpose: "ai.assistance" }) { id } }`,
      { c: objector.contactId },
      t.ownerToken,
    );
    await app.server.trainAi(t.id);
    const back = await app.gql(SIMILAR, { id: ticket }, t.ownerToken);
    expect(back.data.similarTickets.tickets.map((s: any) => s.ticket.id)).toContain(objector.ticketId);
  });

  it("refuses with PROCESSING_RESTRICTED while a customer on the ticket is restricted, and trains without them", async () => {
    const held = solved[1]!;
    const restrict = `mutation($c: ID!) { restrictProcessing(contactId: $c, reason: "disputes accuracy") { id } }`;
    expect((await app.gql(restrict, { c: held.contactId }, t.ownerToken)).errors).toBeUndefined();
    try {
      expect(codes(await app.gql(SUGGEST, { id: held.ticketId }, t.ownerToken))).toEqual(["PROCESSING_RESTRICTED"]);
      await app.server.trainAi(t.id);
      const similar = await app.gql(SIMILAR, { id: ticket }, t.ownerToken);
      expect(similar.data.similarTickets.tickets.map((s: any) => s.ticket.id)).not.toContain(held.ticketId);
      // Nor is a reply of theirs offered: the suggestion comes from another billing ticket.
      const reply = await app.gql(SUGGEST, { id: ticket }, t.ownerToken);
      expect(reply.data.suggestReply.sourceTickets.map((s: any) => s.id)).not.toContain(held.ticketId);
    } finally {
      await app.gql(`mutation($c: ID!) { liftRestriction(contactId: $c) { id } }`, { c: held.contactId }, t.ownerToken);
      await app.server.trainAi(t.id);
    }
  });

  it("refuses with SENSITIVE_DATA a ticket that mentions a special category, until the tenant allows it", async () => {
    const sick = await newTicket(
      "Refund after my hospital stay",
      "I was in hospital with cancer treatment and could not use the service; please refund the invoice.",
      {
        name: "Sam Sick",
      },
    );
    const r = await app.gql(SUMMARIZE, { id: sick.id }, t.ownerToken);
    expect(codes(r)).toEqual(["SENSITIVE_DATA"]);
    expect(r.errors![0]!.extensions!.categories).toEqual(["HEALTH"]);
    const allow = await app.gql(
      `mutation { updateAiSettings(input: { allowedSpecialCategories: [HEALTH] }) { allowedSpecialCategories } }`,
      {},
      t.ownerToken,
    );
    expect(allow.data.updateAiSettings.allowedSpecialCategories).toEqual(["HEALTH"]);
    expect((await app.gql(SUMMARIZE, { id: sick.id }, t.ownerToken)).errors).toBeUndefined();
    await app.gql(`mutation { updateAiSettings(input: { allowedSpecialCategories: [] }) { enabled } }`, {}, t.ownerToken);
  });

  it("refuses everything with AI_DISABLED once the tenant turns AI off, and the record of processing says so", async () => {
    const ropa = async () => (await app.gql(`{ recordOfProcessing { json } }`, {}, t.ownerToken)).data.recordOfProcessing.json;
    const on = await ropa();
    expect(on.activities.map((a: any) => a.purpose)).toContain("ai.assistance");
    expect(on.processors.find((p: any) => p.name.startsWith("Local AI provider"))).toMatchObject({
      trainsOnCustomerData: true,
      purposes: ["ai.assistance"],
    });
    await app.gql(`mutation { updateAiSettings(input: { enabled: false }) { enabled } }`, {}, t.ownerToken);
    const off = await ropa();
    expect(off.activities.map((a: any) => a.purpose)).not.toContain("ai.assistance");
    expect(off.processors.map((p: any) => p.name)).not.toContain("Local AI provider (in this process)");
    try {
      for (const op of [SUGGEST, SUMMARIZE, CLASSIFY, SIMILAR])
        expect(codes(await app.gql(op, { id: ticket }, t.ownerToken)), op).toEqual(["AI_DISABLED"]);
    } finally {
      await app.gql(`mutation { updateAiSettings(input: { enabled: true }) { enabled } }`, {}, t.ownerToken);
    }
  });

  it("answers NOT_FOUND for a ticket that does not exist or is another tenant's", async () => {
    const missing = Buffer.from("Ticket:00000000-0000-0000-0000-000000000000").toString("base64");
    expect(codes(await app.gql(SUGGEST, { id: missing }, t.ownerToken))).toEqual(["NOT_FOUND"]);
    const other = await app.tenant();
    expect(codes(await app.gql(SUGGEST, { id: ticket }, other.ownerToken))).toEqual(["NOT_FOUND"]);
    expect(codes(await app.gql(SIMILAR, { id: ticket }, other.ownerToken))).toEqual(["NOT_FOUND"]);
  });

  it("cuts a huge ticket to the prompt budget and says so", async () => {
    const huge = await newTicket("A long story", `It began with my invoice. ${"Then nothing happened for a while. ".repeat(400)}`, {
      name: "Long Writer",
    });
    for (let i = 0; i < 5; i++)
      await app.gql(
        `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
        { i: { ticketId: huge.id, body: `Update ${i}: ${"still waiting. ".repeat(300)}` } },
        t.ownerToken,
      );
    const r = await app.gql(SUMMARIZE, { id: huge.id }, t.ownerToken);
    expect(r.errors).toBeUndefined();
    expect(r.data.summarizeTicket.truncated).toBe(true);
    expect(r.data.summarizeTicket.notices.join(" ")).toMatch(
      /longer than the prompt budget of 6000 tokens: \d of 6 messages in the middle were left out/,
    );
  });

  it("refuses a malformed locale or id with VALIDATION, naming the argument", async () => {
    const r = await app.gql(
      `mutation($id: ID!) { suggestReply(ticketId: $id, locale: "not a locale") { text } }`,
      { id: ticket },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["VALIDATION"]);
    expect(r.errors![0]!.extensions!.fields[0].path).toEqual(["locale"]);
    expect(codes(await app.gql(SUGGEST, { id: "not-a-global-id" }, t.ownerToken))).toEqual(["VALIDATION"]);
  });

  it("has no translation without a translation plugin", async () => {
    const msg = await app.gql(
      `query($id: ID!) { ticket(id: $id) { messages(first: 1) { edges { node { id } } } } }`,
      { id: ticket },
      t.ownerToken,
    );
    const r = await app.gql(
      `mutation($m: ID!) { translateMessage(messageId: $m, targetLocale: "de") { text } }`,
      { m: msg.data.ticket.messages.edges[0].node.id },
      t.ownerToken,
    );
    expect(codes(r)).toEqual(["PROVIDER_UNAVAILABLE"]);
    expect(r.errors![0]!.extensions!.reason).toBe("NO_PROVIDER");
  });

  it("is for agents and for keys with AI_USE and TICKETS_READ only", async () => {
    const viewer = await app.agent(t, "VIEWER");
    expect(codes(await app.gql(CLASSIFY, { id: ticket }, viewer.token))).toEqual(["FORBIDDEN"]);
    const aiOnly = await app.apiKey(t, ["AI_USE"]);
    expect(codes(await app.gql(CLASSIFY, { id: ticket }, aiOnly))).toEqual(["FORBIDDEN"]);
    const key = await app.apiKey(t, ["AI_USE", "TICKETS_READ"]);
    const r = await app.gql(CLASSIFY, { id: ticket }, key);
    expect(r.errors).toBeUndefined();
    expect(codes(await app.gql(CALLS, {}, key))).toEqual(["FORBIDDEN"]);
  });

  it("classifies a ticket in a bounded number of statements", async () => {
    await app.gql(CLASSIFY, { id: ticket }, t.ownerToken);
    const before = app.database.queryCount;
    const r = await app.gql(
      `mutation($id: ID!) { classifyTicket(ticketId: $id) { classification { priority { value } } } }`,
      { id: ticket },
      t.ownerToken,
    );
    expect(r.errors).toBeUndefined();
    // Authentication, settings, ticket, people (2), tenant, plugins, consent (2), the call's record, the suggestion, the audit.
    expect(app.database.queryCount - before).toBeLessThanOrEqual(16);
  });
});

describe("erasure", () => {
  it("drops the tenant's local models and trains them again without the erased person", async () => {
    const erased = solved[2]!;
    const before = await app.gql(SIMILAR, { id: ticket }, t.ownerToken);
    expect(before.data.similarTickets.tickets.map((s: any) => s.ticket.id)).toContain(erased.ticketId);
    const filed = await app.gql(
      `mutation($c: ID!) { fileDataSubjectRequest(input: { contactId: $c, type: ERASURE }) { id } }`,
      { c: erased.contactId },
      t.ownerToken,
    );
    const done = await app.gql(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status receipt } }`,
      { id: filed.data.fileDataSubjectRequest.id },
      t.ownerToken,
    );
    expect(done.data.completeDataSubjectRequest.receipt.aiModels).toMatch(/trained again without the person/);
    await app.server.trainAi(t.id);
    const after = await app.gql(SIMILAR, { id: ticket }, t.ownerToken);
    expect(after.data.similarTickets.tickets.map((s: any) => s.ticket.id)).not.toContain(erased.ticketId);
    const reply = await app.gql(SUGGEST, { id: ticket }, t.ownerToken);
    expect(reply.data.suggestReply.sourceTickets.map((s: any) => s.id)).not.toContain(erased.ticketId);
    expect(JSON.stringify(reply.data)).not.toContain(erased.name.split(" ")[0]);
  });
});

describe("retention of the call record", () => {
  it("deletes model calls and suggestions older than the tenant's period (PLUGIN_CALLS)", async () => {
    const count = async () => (await app.gql(`{ aiCalls { totalCount } }`, {}, t.ownerToken)).data.aiCalls.totalCount;
    expect(await count()).toBeGreaterThan(0);
    const rule = await app.gql(
      `mutation { setRetentionRule(target: PLUGIN_CALLS, keepDays: 1, action: DELETE) { target } }`,
      {},
      t.ownerToken,
    );
    expect(rule.errors).toBeUndefined();
    await sweep(app.database, { tenantId: t.id, now: new Date(Date.now() + 2 * 86_400_000) });
    expect(await count()).toBe(0);
    expect(await app.database.prisma.aiSuggestion.count({ where: { tenantId: t.id } })).toBe(0);
  });
});
