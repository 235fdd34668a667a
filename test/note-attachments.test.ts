import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";
import { startReceiver, until, type Receiver } from "./support/webhooks.js";
import { readExportArchive } from "./support/export-archive.js";

/**
 * A note's file follows the note: every path that can reach an attachment
 * shows it to a key with notes:read, and to nobody else (a key without it, a
 * portal contact), not even the file name.
 */

const FILENAME = "note-only-assessment.txt";
const CONTENT = "NOTE-ONLY-CONTENT fraud suspicion";
const BASE64 = Buffer.from(CONTENT).toString("base64");
const NOTE_WORD = "quokkaassessment";

let app: TestApp;
let t: TestTenant;
let receiverWithNotes: Receiver;
let receiverWithout: Receiver;
const callers: Record<"withNotes" | "withoutNotes" | "contact", string> = { withNotes: "", withoutNotes: "", contact: "" };
let ticketId: string;
let noteId: string;
let replyId: string;
let attachmentId: string;
let contactId: string;

const leaks = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.includes(FILENAME) || text.includes(BASE64) || text.includes(CONTENT);
};

async function ok(query: string, variables: Record<string, unknown>, token: string) {
  const r = await app.gql(query, variables, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

const WEBHOOK_SELECTION = "type message { id } ticket { messages { edges { node { internal attachments { filename contentBase64 } } } } }";

beforeAll(async () => {
  app = await startApp({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32,::1" });
  t = await app.tenant();
  receiverWithNotes = await startReceiver();
  receiverWithout = await startReceiver();

  const keyWith = await app.gql(
    `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`,
    { i: { name: "with notes", scopes: ["TICKETS_READ", "NOTES_READ"] } },
    t.ownerToken,
  );
  const keyWithout = await app.gql(
    `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`,
    { i: { name: "without notes", scopes: ["TICKETS_READ"] } },
    t.ownerToken,
  );
  callers.withNotes = keyWith.data.createApiKey.secret;
  callers.withoutNotes = keyWithout.data.createApiKey.secret;
  for (const [receiver, key] of [
    [receiverWithNotes, keyWith],
    [receiverWithout, keyWithout],
  ] as const) {
    await ok(
      `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }`,
      { i: { url: receiver.url, eventTypes: ["MESSAGE_ADDED"], selection: WEBHOOK_SELECTION, apiKeyId: key.data.createApiKey.apiKey.id } },
      t.ownerToken,
    );
  }

  const created = await ok(
    `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`,
    { i: { subject: "Refund request", body: "Please refund my order.", requester: { name: "Nora Note", email: "nora@example.com" } } },
    t.ownerToken,
  );
  ticketId = created.createTicket.id;
  contactId = created.createTicket.requester.id;
  noteId = (
    await ok(
      `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
      { i: { ticketId, body: `Internal ${NOTE_WORD}, see file`, internal: true } },
      t.ownerToken,
    )
  ).addMessage.id;
  attachmentId = (
    await ok(
      `mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id } }`,
      { i: { messageId: noteId, filename: FILENAME, contentType: "text/plain", contentBase64: BASE64 } },
      t.ownerToken,
    )
  ).addAttachment.id;
  // A public reply after the file exists: its webhook payload lists the ticket's messages with their files.
  replyId = (
    await ok(
      `mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`,
      { i: { ticketId, body: "We are looking into it." } },
      t.ownerToken,
    )
  ).addMessage.id;
  callers.contact = (
    await ok(`mutation($c: ID!) { issuePortalToken(contactId: $c) { token } }`, { c: contactId }, t.ownerToken)
  ).issuePortalToken.token;
});

afterAll(async () => {
  await app?.close();
  await receiverWithNotes?.close();
  await receiverWithout?.close();
});

/** Every GraphQL path to a file, as each caller reads it. */
const PATHS: Record<string, { query: string; variables: () => Record<string, unknown> }> = {
  "node(id:) of the attachment": {
    query: `query($id: ID!) { node(id: $id) { id ... on Attachment { filename contentBase64 } } }`,
    variables: () => ({ id: attachmentId }),
  },
  "node(id:) of the note": {
    query: `query($id: ID!) { node(id: $id) { ... on Message { attachments { filename contentBase64 } } } }`,
    variables: () => ({ id: noteId }),
  },
  "ticket messages": {
    query: `query($id: ID!) { ticket(id: $id) { messages { totalCount edges { node { attachments { filename contentBase64 } } } } lastMessage { attachments { filename } } } }`,
    variables: () => ({ id: ticketId }),
  },
  "tickets list": {
    query: `{ tickets(first: 10) { edges { node { messages { edges { node { attachments { filename contentBase64 } } } } } } } }`,
    variables: () => ({}),
  },
  search: {
    query: `query($q: String!) { search(query: $q, first: 5) { totalCount edges { node { result { ... on Message { attachments { filename contentBase64 } } ... on Ticket { messages(first: 10) { edges { node { attachments { filename } } } } } } } } } }`,
    variables: () => ({ q: NOTE_WORD }),
  },
  "events feed": {
    query: `query($id: ID!) { events(first: 10, filter: { ticketId: $id }) { edges { node { type message { attachments { filename contentBase64 } } ticket { messages(first: 5) { edges { node { attachments { filename } } } } } } } } }`,
    variables: () => ({ id: ticketId }),
  },
};

describe("a note's attachment", () => {
  it("reaches a key with notes:read on every path", async () => {
    await app.sequenced(t);
    for (const [path, { query, variables }] of Object.entries(PATHS)) {
      const data = await ok(query, variables(), callers.withNotes);
      expect(leaks(data), path).toBe(true);
    }
  });

  for (const who of ["withoutNotes", "contact"] as const) {
    it(`reaches ${who === "contact" ? "a portal contact" : "a key without notes:read"} on no path`, async () => {
      await app.sequenced(t);
      for (const [path, { query, variables }] of Object.entries(PATHS)) {
        const r = await app.gql(query, variables(), callers[who]);
        expect(leaks(r), path).toBe(false);
        // Not denied: absent. The note's file is a missing object, not a FORBIDDEN one.
        if (path === "node(id:) of the attachment" || path === "node(id:) of the note") expect(r.data?.node, path).toBeNull();
      }
      // The same caller still sees the public reply: the paths work, only the note is left out.
      const visible = await ok(`query($id: ID!) { node(id: $id) { id } }`, { id: replyId }, callers[who]);
      expect(visible.node).toEqual({ id: replyId });
    });
  }

  it("is in the webhook payloads of a key with notes:read only", async () => {
    const forReply = (r: Receiver) => r.received.find((w) => w.json?.data?.message?.id === replyId);
    await until(
      () => forReply(receiverWithNotes) !== undefined && forReply(receiverWithout) !== undefined,
      10_000,
      "the reply's deliveries",
    );
    expect(leaks(forReply(receiverWithNotes)!.json)).toBe(true);
    expect(leaks(forReply(receiverWithout)!.json)).toBe(false);
    // The note's own event is never queued for the key without notes:read.
    expect(receiverWithout.received.some((w) => w.json?.data?.message?.id === noteId)).toBe(false);
  });

  it("is not in the person's data export", async () => {
    const FIELDS = `id receipt export { url }`;
    const filed = await ok(
      `mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { ${FIELDS} } }`,
      { i: { contactId, type: "ACCESS" } },
      t.ownerToken,
    );
    const done = await ok(
      `mutation($id: ID!) { completeDataSubjectRequest(id: $id) { ${FIELDS} } }`,
      { id: filed.fileDataSubjectRequest.id },
      t.ownerToken,
    );
    const archive = await readExportArchive(Buffer.from(await (await fetch(done.completeDataSubjectRequest.export.url)).arrayBuffer()));
    const exported = archive.document;
    // The export works and holds the public conversation, but not the note's file.
    expect(JSON.stringify(exported)).toContain("We are looking into it.");
    expect(leaks(exported)).toBe(false);
    expect(exported.attachments).toEqual([]);
    expect([...archive.files.keys()]).toEqual([]);
  });
});
