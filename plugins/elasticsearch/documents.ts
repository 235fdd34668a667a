import { readText } from "../../src/attachments/extract/store.js";
import { BlobNotFoundError } from "../../src/blobs/store.js";
import type { TenantClient } from "../../src/db/tenant-scope.js";
import type { SearchKind } from "../../src/search/contract.js";

/** What one index document holds; see mappings.ts. */
interface IndexDocument {
  kind: SearchKind;
  id: string;
  tenantId: string;
  ticketId: string | null;
  contactId: string | null;
  subjectIds: string[];
  internal: boolean;
  status: string | null;
  priority: string | null;
  tags: string[];
  assigneeId: string | null;
  fromEmail: string | null;
  createdAt: string;
  subject?: string;
  body?: string;
  /** The text of a message's files (PDF, Word, HTML, text), in the order they were attached. */
  attachments?: string;
  name?: string;
  email?: string | null;
  phone?: string | null;
}

export interface DocRef {
  kind: SearchKind;
  id: string;
}

/** Why a document must not be (or no longer be) in the index. */
type RemovalReason = "gone" | "redacted" | "erased" | "restricted";

export type DocOp =
  | { action: "index"; ref: DocRef; doc: IndexDocument; subjectIds: string[] }
  | { action: "delete"; ref: DocRef; reason: RemovalReason };

export const docKey = (ref: DocRef) => `${ref.kind}:${ref.id}`;
/** The Elasticsearch _id: kinds get a prefix so that ids can never collide across tables. */
export const esId = (ref: DocRef) => `${ref.kind.toLowerCase()}-${ref.id}`;

type Subject = { id: string; email: string | null; restrictedAt: Date | null; erasedAt: Date | null };

/**
 * Restriction (GDPR art. 18) means the data must not be processed, so not be
 * sent: the document is removed from the index instead, and sent again when
 * the restriction is lifted (the contact's update re-queues its documents).
 * An erased person's documents are removed too.
 */
function removal(subjects: (Subject | null)[]): RemovalReason | null {
  if (subjects.some((s) => s?.erasedAt)) return "erased";
  if (subjects.some((s) => s?.restrictedAt)) return "restricted";
  return null;
}

const SUBJECT = { select: { id: true, email: true, restrictedAt: true, erasedAt: true } } as const;
const TICKET_FIELDS = { requester: SUBJECT, tags: { select: { tag: { select: { name: true } } } } } as const;

type Db = Pick<TenantClient, "ticket" | "message" | "contact">;

/**
 * The current state of each document, read from the database: an index
 * operation, or a delete when the row is gone or must not be in the index.
 * Sending current state (not what a change looked like) is what keeps the
 * order per document: whatever the queue held, the last send wins.
 */
export async function loadDocuments(db: Db, tenantId: string, refs: DocRef[]): Promise<DocOp[]> {
  const ids = (kind: SearchKind) => refs.filter((r) => r.kind === kind).map((r) => r.id);
  const [tickets, messages, contacts] = await Promise.all([
    ids("TICKET").length ? db.ticket.findMany({ where: { id: { in: ids("TICKET") } }, include: TICKET_FIELDS }) : [],
    ids("MESSAGE").length
      ? db.message.findMany({
          where: { id: { in: ids("MESSAGE") } },
          include: { ticket: { include: TICKET_FIELDS }, authorContact: SUBJECT, authorAgent: { select: { email: true } } },
        })
      : [],
    ids("CONTACT").length ? db.contact.findMany({ where: { id: { in: ids("CONTACT") } } }) : [],
  ]);
  const found = new Map<string, DocOp>();
  const put = (op: DocOp) => found.set(docKey(op.ref), op);

  for (const t of tickets) {
    const ref: DocRef = { kind: "TICKET", id: t.id };
    const why = removal([t.requester]);
    if (why) put({ action: "delete", ref, reason: why });
    else
      put({
        action: "index",
        ref,
        subjectIds: [t.requesterId],
        doc: {
          ...ticketFields(tenantId, t),
          kind: "TICKET",
          id: t.id,
          internal: false,
          fromEmail: t.requester.email?.toLowerCase() ?? null,
          createdAt: t.createdAt.toISOString(),
          subject: t.subject,
        },
      });
  }
  for (const m of messages) {
    const ref: DocRef = { kind: "MESSAGE", id: m.id };
    const why = m.redactedAt ? "redacted" : removal([m.ticket.requester, m.authorContact]);
    const subjectIds = [...new Set([m.ticket.requesterId, m.authorContactId].filter((s): s is string => !!s))];
    if (why) put({ action: "delete", ref, reason: why });
    else
      put({
        action: "index",
        ref,
        subjectIds,
        doc: {
          ...ticketFields(tenantId, m.ticket),
          kind: "MESSAGE",
          id: m.id,
          subjectIds,
          internal: m.internal,
          fromEmail: (m.authorContact?.email ?? m.authorAgent?.email)?.toLowerCase() ?? null,
          createdAt: m.createdAt.toISOString(),
          body: m.body,
        },
      });
  }
  for (const c of contacts) {
    const ref: DocRef = { kind: "CONTACT", id: c.id };
    const why = removal([c]);
    if (why) put({ action: "delete", ref, reason: why });
    else
      put({
        action: "index",
        ref,
        subjectIds: [c.id],
        doc: {
          kind: "CONTACT",
          id: c.id,
          tenantId,
          ticketId: null,
          contactId: c.id,
          subjectIds: [c.id],
          internal: false,
          status: null,
          priority: null,
          tags: [],
          assigneeId: null,
          fromEmail: c.email?.toLowerCase() ?? null,
          createdAt: c.createdAt.toISOString(),
          name: c.name,
          email: c.email,
          phone: c.phone,
        },
      });
  }
  return refs.map((ref) => found.get(docKey(ref)) ?? { action: "delete", ref, reason: "gone" });
}

function ticketFields(
  tenantId: string,
  t: { id: string; requesterId: string; status: string; priority: string; assigneeId: string | null; tags: { tag: { name: string } }[] },
) {
  return {
    tenantId,
    ticketId: t.id,
    contactId: t.requesterId,
    subjectIds: [t.requesterId],
    status: t.status,
    priority: t.priority,
    tags: t.tags.map((x) => x.tag.name).sort(),
    assigneeId: t.assigneeId,
  };
}

/** The text of a message's files sent with it, at most this many characters (a bulk request stays a sensible size). */
const MAX_FILE_TEXT_CHARS = 1_000_000;

/**
 * Adds the text of their files (src/attachments/extract/) to the messages to
 * be indexed. Read after the versioned transaction: a text comes from the
 * blob store, which may need the database itself. A text replaced meanwhile
 * is left out; the change that replaced it queued the message again.
 */
export async function withFileTexts(db: TenantClient, ops: DocOp[]): Promise<DocOp[]> {
  const messageIds = ops.flatMap((op) => (op.action === "index" && op.ref.kind === "MESSAGE" ? [op.ref.id] : []));
  if (!messageIds.length) return ops;
  const files = await db.attachment.findMany({
    where: { messageId: { in: messageIds }, textBlobKey: { not: null } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { messageId: true, textBlobKey: true },
  });
  if (!files.length) return ops;
  const texts = new Map<string, string>();
  for (const f of files) {
    const sofar = texts.get(f.messageId!) ?? "";
    if (sofar.length >= MAX_FILE_TEXT_CHARS) continue;
    const text = await readText(db, f.textBlobKey!).catch((err: unknown) => {
      if (err instanceof BlobNotFoundError) return null;
      throw err;
    });
    if (text !== null) texts.set(f.messageId!, (sofar ? `${sofar}\n\n${text}` : text).slice(0, MAX_FILE_TEXT_CHARS));
  }
  return ops.map((op) => {
    const text = op.action === "index" && op.ref.kind === "MESSAGE" ? texts.get(op.ref.id) : undefined;
    return text === undefined || op.action !== "index" ? op : { ...op, doc: { ...op.doc, attachments: text } };
  });
}
