import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

/**
 * Erasure reaches what others wrote about the person: the contents of text
 * attachments (agents' replies, other contacts' messages) and every spelling
 * of their phone number. Files that cannot be searched are deleted on the
 * person's tickets and listed as unverified elsewhere, never a silent 0.
 */

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startApp();
  t = await app.tenant();
});
afterAll(() => app?.close());

async function ok(query: string, variables: Record<string, unknown> = {}) {
  const r = await app.gql(query, variables, t.ownerToken);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

const ticket = async (requester: Record<string, unknown>, body: string) =>
  (
    await ok(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id requester { id } } }`, {
      i: { subject: "Question", body, requester },
    })
  ).createTicket;
const say = async (ticketId: string, body: string, extra: Record<string, unknown> = {}) =>
  (await ok(`mutation($i: AddMessageInput!) { addMessage(input: $i) { id } }`, { i: { ticketId, body, ...extra } })).addMessage
    .id as string;
const attach = async (messageId: string, filename: string, contentType: string, content: Buffer | string) =>
  (
    await ok(`mutation($i: AddAttachmentInput!) { addAttachment(input: $i) { id } }`, {
      i: { messageId, filename, contentType, contentBase64: Buffer.from(content).toString("base64") },
    })
  ).addAttachment.id as string;
const contentOf = async (id: string) => {
  const r = await app.gql(`query($id: ID!) { node(id: $id) { ... on Attachment { contentBase64 size } } }`, { id }, t.ownerToken);
  if (r.errors?.[0]?.extensions?.code === "NOT_FOUND") return null;
  const node = r.data.node;
  return node ? { text: Buffer.from(node.contentBase64, "base64").toString("utf8"), size: node.size as number } : null;
};
const scan = async (args: { email?: string; phone?: string; name?: string }) =>
  (
    await ok(
      `query($e: String, $p: String, $n: String) { personalDataScan(email: $e, phone: $p, name: $n) { total unsearchable stores { store matches } } }`,
      {
        e: args.email,
        p: args.phone,
        n: args.name,
      },
    )
  ).personalDataScan;
const matchesIn = (result: { stores: { store: string; matches: number }[] }, store: string) =>
  result.stores.find((s) => s.store === store)!.matches;

describe("erasure of what others wrote", () => {
  const piet = { name: "Piet Pieters", email: "Piet.P@Example.nl", phone: "+31 6 1234 5678" };
  const files: Record<string, string> = {};
  let pietId: string;

  beforeAll(async () => {
    const own = await ticket(piet, "My parcel never arrived.");
    pietId = own.requester.id;
    // An agent's reply on Piet's ticket with a text file and a PDF.
    const reply = await say(own.id, "See the attached call notes.");
    files.agentNotes = await attach(reply, "call-notes.txt", "text/plain", "Called Piet Pieters on 06-12345678 at 10:00.\nAll fine.");
    files.agentPdf = await attach(reply, "label.pdf", "application/pdf", Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10, 0x80]));

    // Another contact writes about Piet, in messages and in files.
    const other = await ticket({ name: "Greta Gans", email: "greta@example.nl" }, "My neighbour's parcel came to me.");
    await say(other.id, "His number is +31 6 1234 5678, I think.", { from: "REQUESTER" });
    await say(other.id, "Or try 06-12345678.", { from: "REQUESTER" });
    await say(other.id, "From abroad: 0031612345678. Mail PIET.P@EXAMPLE.NL", { from: "REQUESTER" });
    const greta = await say(other.id, "My list attached.", { from: "REQUESTER" });
    files.csv = await attach(
      greta,
      "neighbours.csv",
      "text/csv",
      "name,phone,email\nPiet Pieters,0031 6 12345678,piet.p@example.nl\nAnna Bakker,0612340000,anna@example.nl\n",
    );
    files.json = await attach(greta, "contact.json", "application/json", JSON.stringify({ who: "neighbour", mail: "PIET.P@EXAMPLE.NL" }));
    files.unrelated = await attach(greta, "unrelated.txt", "text/plain", "Nothing about anyone, phone 0612340000.");
    files.otherPdf = await attach(greta, "photo.pdf", "application/pdf", Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0x01]));
    // Labelled text, but UTF-16: it cannot be searched as text.
    files.utf16 = await attach(greta, "utf16.txt", "text/plain", Buffer.from("Piet Pieters", "utf16le"));
  });

  it("the scan finds every spelling of the phone number and the mentions in text files", async () => {
    const byPhone = await scan({ phone: "+31612345678" });
    // Three bodies, each with another spelling; two text files (the agent's notes, the CSV).
    expect(matchesIn(byPhone, "Message.body")).toBe(3);
    expect(matchesIn(byPhone, "Attachment.content")).toBe(2);
    expect(byPhone.unsearchable).toBe(3);
    const byEmail = await scan({ email: "piet.p@example.nl" });
    expect(matchesIn(byEmail, "Attachment.content")).toBe(2); // the CSV and the JSON, in another case
    expect(matchesIn(byEmail, "Message.body")).toBe(1);
  });

  it("redacts them, deletes what cannot be searched on the person's tickets, and the receipt says so", async () => {
    const filed = await ok(`mutation($i: FileDataSubjectRequestInput!) { fileDataSubjectRequest(input: $i) { id } }`, {
      i: { contactId: pietId, type: "ERASURE" },
    });
    const done = (
      await ok(`mutation($id: ID!) { completeDataSubjectRequest(id: $id) { status receipt } }`, { id: filed.fileDataSubjectRequest.id })
    ).completeDataSubjectRequest;
    expect(done.status).toBe("COMPLETED");
    const { counts, verification, stores } = done.receipt;
    expect(counts).toMatchObject({ bodiesScrubbed: 3, attachmentContentsScrubbed: 3, unsearchableAttachmentsDeleted: 1 });
    // Nothing searchable is left, and the two files elsewhere that cannot be searched are named, not hidden.
    expect(verification).toMatchObject({ leftovers: 0, unverifiable: 2 });
    expect(verification.byStore["Attachment.content"]).toBe(0);
    expect(stores).toContainEqual(expect.objectContaining({ store: "Attachment.unverified", count: 2 }));

    expect(await contentOf(files.agentNotes!)).toMatchObject({ text: "Called [redacted] on [redacted] at 10:00.\nAll fine." });
    expect((await contentOf(files.csv!))!.text).toBe(
      "name,phone,email\n[redacted],[redacted],[redacted]\nAnna Bakker,0612340000,anna@example.nl\n",
    );
    expect(JSON.parse((await contentOf(files.json!))!.text)).toEqual({ who: "neighbour", mail: "[redacted]" });
    const notes = await contentOf(files.agentNotes!);
    expect(notes!.size).toBe(Buffer.byteLength(notes!.text));
    // Untouched: a file without the person, and what cannot be searched on someone else's ticket.
    expect((await contentOf(files.unrelated!))!.text).toBe("Nothing about anyone, phone 0612340000.");
    expect(await contentOf(files.otherPdf!)).not.toBeNull();
    expect(await contentOf(files.utf16!)).not.toBeNull();
    expect(await contentOf(files.agentPdf!)).toBeNull();

    const bodies = (
      await ok(`{ search(query: "type:message", first: 50) { edges { node { result { ... on Message { body } } } } } }`)
    ).search.edges.map((e: any) => e.node.result.body);
    expect(bodies).toEqual(
      expect.arrayContaining(["His number is [redacted], I think.", "Or try [redacted].", "From abroad: [redacted]. Mail [redacted]"]),
    );

    const after = await scan({ email: "piet.p@example.nl", phone: "+31612345678" });
    expect(after.total).toBe(0);
    expect(after.unsearchable).toBe(2);
  });
});
