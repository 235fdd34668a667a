import { once } from "node:events";
import { createGzip } from "node:zlib";
import type { TenantClient } from "../../db/tenant-scope.js";
import { statesOf } from "../consent.js";
import { PURPOSES } from "../taxonomy.js";

/**
 * GDPR art. 15 and 20: a machine-readable copy of everything the helpdesk holds
 * about one person, as JSON grouped by data category, gzip-compressed. Rows are
 * read in batches and written straight into the compressor, so a person with
 * tens of thousands of messages never sits in memory at once.
 */

export const EXPORT_FORMAT = "deskgraph.personal-data-export";
export const EXPORT_VERSION = 1;
const BATCH = 500;

export const INTERNAL_NOTES_POLICY =
  "Internal notes (written by the support team for each other) are not part of this export: they can hold other people's data " +
  "and the team's own assessments (art. 15(4)). Their number is given here; ask the controller to review them for release.";

/** Writes JSON text into gzip, waiting whenever the compressor's buffer is full. */
class GzipJson {
  private readonly gzip = createGzip();
  private readonly chunks: Buffer[] = [];
  constructor() {
    this.gzip.on("data", (c: Buffer) => this.chunks.push(c));
  }
  async write(text: string): Promise<void> {
    if (!this.gzip.write(text)) await once(this.gzip, "drain");
  }
  async end(): Promise<Uint8Array<ArrayBuffer>> {
    const ended = once(this.gzip, "end");
    this.gzip.end();
    await ended;
    return Buffer.concat(this.chunks) as Uint8Array<ArrayBuffer>;
  }
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

/** Pages through rows with Prisma's cursor, in a fixed order. */
async function* pages<T extends { id: string }>(read: (cursor: { cursor: { id: string }; skip: 1 } | {}) => Promise<T[]>): AsyncGenerator<T[]> {
  let last: string | undefined;
  for (;;) {
    const rows = await read(last ? { cursor: { id: last }, skip: 1 } : {});
    if (rows.length) yield rows;
    if (rows.length < BATCH) return;
    last = rows.at(-1)!.id;
  }
}

export interface ExportCounts {
  tickets: number;
  messages: number;
  internalNotesNotIncluded: number;
  attachments: number;
  consentEvents: number;
  dataSubjectRequests: number;
  accessLog: number;
}

export async function buildExport(
  db: TenantClient,
  contactId: string,
  request: { id: string; type: string },
): Promise<{ content: Uint8Array<ArrayBuffer>; counts: ExportCounts }> {
  const contact = await db.contact.findUniqueOrThrow({ where: { id: contactId }, include: { organization: { select: { name: true } } } });
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: contact.tenantId }, select: { name: true } });
  const out = new GzipJson();
  const counts: ExportCounts = { tickets: 0, messages: 0, internalNotesNotIncluded: 0, attachments: 0, consentEvents: 0, dataSubjectRequests: 0, accessLog: 0 };
  const key = (k: string) => JSON.stringify(k);

  /** Writes `"name": [ … ]`, one batch at a time. */
  async function array<T extends { id: string }>(name: keyof ExportCounts, batches: AsyncGenerator<T[]>, shape: (row: T) => unknown | Promise<unknown>) {
    await out.write(`,\n${key(name)}: [`);
    let first = true;
    for await (const rows of batches) {
      let text = "";
      for (const row of rows) {
        text += (first ? "\n" : ",\n") + JSON.stringify(await shape(row));
        first = false;
        counts[name]++;
      }
      await out.write(text);
    }
    await out.write("\n]");
  }

  // What the person can see on the portal: public replies on their tickets, and what they wrote anywhere.
  // Never a note (nor a note's files), even one recorded as theirs: the person sees no notes anywhere.
  const theirMessages = { internal: false, OR: [{ authorContactId: contactId }, { ticket: { requesterId: contactId } }] };
  counts.internalNotesNotIncluded = await db.message.count({ where: { internal: true, ticket: { requesterId: contactId } } });
  const states = await statesOf(db, contactId);

  await out.write(
    `{\n${key("format")}: ${JSON.stringify(EXPORT_FORMAT)}, ${key("version")}: ${EXPORT_VERSION}, ` +
      `${key("generatedAt")}: ${JSON.stringify(new Date().toISOString())},\n` +
      `${key("request")}: ${JSON.stringify({ id: request.id, type: request.type })},\n` +
      `${key("controller")}: ${JSON.stringify({ name: tenant.name })},\n` +
      `${key("about")}: ${JSON.stringify({
        categories: {
          profile: "Who you are to us: name, contact details, language, organisation",
          tickets: "The support requests you made",
          messages: "Public replies on your tickets and every message you wrote",
          attachments: "Files attached to those messages (base64)",
          consents: "Every consent and objection you gave or withdrew, and where each purpose stands now",
          dataSubjectRequests: "The requests about your data you made, and what was done",
          accessLog: "Who accessed your data and when, from the audit log",
        },
        internalNotes: { included: false, count: counts.internalNotesNotIncluded, policy: INTERNAL_NOTES_POLICY },
        purposes: Object.entries(PURPOSES).map(([name, p]) => ({
          purpose: name,
          description: p.description,
          legalBasis: p.legalBasis,
          yourStatus: states.find((s) => s.purpose === name)?.status ?? null,
        })),
      })},\n` +
      `${key("profile")}: ${JSON.stringify({
        id: contact.id,
        name: contact.name,
        email: contact.email,
        phone: contact.phone,
        locale: contact.locale,
        organization: contact.organization?.name ?? null,
        createdAt: contact.createdAt,
        updatedAt: contact.updatedAt,
        restrictedAt: contact.restrictedAt,
        restrictionReason: contact.restrictionReason,
      })}`,
  );

  await array(
    "tickets",
    pages((c) =>
      db.ticket.findMany({
        ...c,
        where: { requesterId: contactId },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: BATCH,
        select: { id: true, number: true, subject: true, status: true, priority: true, channel: true, createdAt: true, updatedAt: true, solvedAt: true },
      }),
    ),
    (t) => t,
  );

  await array(
    "messages",
    pages((c) =>
      db.message.findMany({
        ...c,
        where: theirMessages,
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: BATCH,
        select: {
          id: true,
          ticketId: true,
          ticket: { select: { number: true } },
          authorType: true,
          authorContactId: true,
          body: true,
          channel: true,
          createdAt: true,
          redactedAt: true,
          attachments: { select: { id: true } },
        },
      }),
    ),
    (m) => ({
      id: m.id,
      ticketId: m.ticketId,
      ticketNumber: m.ticket.number,
      // Staff are named by role only: their names are their own personal data.
      from: m.authorContactId === contactId ? "YOU" : m.authorType,
      body: m.body,
      channel: m.channel,
      createdAt: m.createdAt,
      redacted: m.redactedAt !== null,
      attachmentIds: m.attachments.map((a) => a.id),
    }),
  );

  await array(
    "attachments",
    pages((c) =>
      db.attachment.findMany({
        ...c,
        where: { message: theirMessages },
        orderBy: { id: "asc" },
        take: BATCH,
        select: { id: true, messageId: true, filename: true, contentType: true, size: true, createdAt: true },
      }),
    ),
    // Contents one at a time: a file may be large, a batch of them would not be.
    async (a) => ({
      ...a,
      contentBase64: base64((await db.attachment.findUniqueOrThrow({ where: { id: a.id }, select: { content: true } })).content),
    }),
  );

  await out.write(`,\n${key("consents")}: {\n${key("current")}: ${JSON.stringify(states.map((s) => ({ purpose: s.purpose, status: s.status, since: s.since?.createdAt ?? null })))},\n${key("history")}: [`);
  {
    // Inside an object, so written by hand rather than with `array`.
    let first = true;
    for await (const rows of pages((c) =>
      db.consentEvent.findMany({ ...c, where: { contactId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: BATCH }),
    )) {
      await out.write(
        rows
          .map((e) => {
            const line = (first ? "\n" : ",\n") + JSON.stringify({ purpose: e.purpose, action: e.action, method: e.method, policyVersion: e.policyVersion, recordedBy: e.actorType, at: e.createdAt });
            first = false;
            return line;
          })
          .join(""),
      );
      counts.consentEvents += rows.length;
    }
    await out.write("\n]}");
  }
  await array(
    "dataSubjectRequests",
    pages((c) => db.dataSubjectRequest.findMany({ ...c, where: { contactId }, orderBy: [{ receivedAt: "asc" }, { id: "asc" }], take: BATCH })),
    (r) => ({
      id: r.id,
      type: r.type,
      status: r.status,
      receivedAt: r.receivedAt,
      dueAt: r.dueAt,
      extensionReason: r.extensionReason,
      refusalReason: r.refusalReason,
      completedAt: r.completedAt,
      details: r.details,
      receipt: r.receipt,
    }),
  );

  await array(
    "accessLog",
    pages((c) =>
      db.auditEntry.findMany({
        ...c,
        where: { OR: [{ subjectId: contactId }, { subjectIds: { has: contactId } }] },
        orderBy: { seq: "asc" },
        take: BATCH,
        select: { id: true, actorType: true, actorId: true, action: true, categories: true, details: true, at: true },
      }),
    ),
    // A read of several subjects lists each one's categories in details.subjects: give this subject's own.
    (e) => ({ actorType: e.actorType, actorId: e.actorId, action: e.action, categories: categoriesOf(e, contactId), at: e.at }),
  );

  await out.write("\n}\n");
  return { content: await out.end(), counts };
}

function categoriesOf(entry: { categories: string[]; details: unknown }, contactId: string): string[] {
  const own = (entry.details as { subjects?: Record<string, { categories?: string[] }> } | null)?.subjects?.[contactId]?.categories;
  return Array.isArray(own) ? own : entry.categories;
}
