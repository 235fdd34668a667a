import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";

let app: TestApp;
let t: TestTenant;
let messageId: string;
let noteId: string;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
  const ticket = await app.gql(
    `mutation { createTicket(input: { subject: "Scan", body: "see attached", requester: { name: "Ada" } }) { id messages { edges { node { id } } } } }`,
    {},
    t.ownerToken,
  );
  messageId = ticket.data.createTicket.messages.edges[0].node.id;
  const note = await app.gql(
    `mutation($id: ID!) { addMessage(input: { ticketId: $id, body: "n", internal: true }) { id } }`,
    { id: ticket.data.createTicket.id },
    t.ownerToken,
  );
  noteId = note.data.addMessage.id;
});
afterAll(() => app?.close());

const ADD = `mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id filename contentType size } }`;
const file = (text: string) => Buffer.from(text).toString("base64");

describe("attachments", () => {
  it("are stored with the message and returned on demand", async () => {
    const added = await app.gql(
      ADD,
      { i: { messageId, filename: "invoice.pdf", contentType: "application/pdf", contentBase64: file("%PDF-1.7 hello") } },
      t.ownerToken,
    );
    expect(added.data.addAttachment).toMatchObject({ filename: "invoice.pdf", contentType: "application/pdf", size: 14 });
    const r = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Message { attachments { filename contentBase64 } } } }`,
      { id: messageId },
      t.ownerToken,
    );
    expect(r.data.node.attachments).toEqual([{ filename: "invoice.pdf", contentBase64: file("%PDF-1.7 hello") }]);
  });

  it("on internal notes stay invisible without notes:read", async () => {
    await app.gql(
      ADD,
      { i: { messageId: noteId, filename: "secret.txt", contentType: "text/plain", contentBase64: file("x") } },
      t.ownerToken,
    );
    const key = await app.apiKey(t, ["TICKETS_READ", "TICKETS_WRITE"]);
    expect(
      codes(await app.gql(ADD, { i: { messageId: noteId, filename: "a.txt", contentType: "text/plain", contentBase64: file("x") } }, key)),
    ).toEqual(["NOT_FOUND"]);
    const tickets = await app.gql(`{ tickets { edges { node { messages { edges { node { attachments { filename } } } } } } } }`, {}, key);
    expect(JSON.stringify(tickets.data)).not.toContain("secret.txt");
  });

  it("refuse bad input", async () => {
    const bad = [
      { filename: "../etc/passwd", contentType: "text/plain", contentBase64: file("x") },
      { filename: "a.txt", contentType: "not a type", contentBase64: file("x") },
      { filename: "a.txt", contentType: "text/plain", contentBase64: "***" },
      { filename: "a.txt", contentType: "text/plain", contentBase64: "" },
    ];
    for (const i of bad)
      expect(codes(await app.gql(ADD, { i: { messageId, ...i } }, t.ownerToken)), JSON.stringify(i)).toEqual(["VALIDATION"]);
  });
});
