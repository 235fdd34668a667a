import type { ScanningConfig } from "../../config.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import { statesOf } from "../consent.js";
import { isExported, STORES } from "../stores/index.js";
import { PURPOSES } from "../taxonomy.js";
import { ExportWriter } from "./export-writer.js";

/**
 * GDPR art. 15 and 20: a machine-readable copy of everything the helpdesk holds
 * about one person: a ZIP archive with `personal-data.json` (grouped by data
 * category) and the person's files. Each store writes its own section
 * (src/privacy/stores/), in batches, straight into the archive, which goes
 * into the tenant's blob store (encrypted) as it is made.
 */

export const EXPORT_FORMAT = "deskgraph.personal-data-export";
/** 2: a ZIP archive with the files beside the JSON (1 was gzip-compressed JSON with the files in base64). */
export const EXPORT_VERSION = 2;

const INTERNAL_NOTES_POLICY =
  "Internal notes (written by the support team for each other) are not part of this export: they can hold other people's data " +
  "and the team's own assessments (art. 15(4)). Their number is given here; ask the controller to review them for release.";

/** Rows exported per section (tickets, messages, attachments, consentEvents…), and the notes left out. */
export type ExportCounts = Record<string, number>;

export async function buildExport(
  db: TenantClient,
  contactId: string,
  request: { id: string; type: string },
  scanning: ScanningConfig["mode"],
): Promise<{ blobKey: string; size: number; counts: ExportCounts }> {
  const contact = await db.contact.findUniqueOrThrow({ where: { id: contactId }, select: { tenantId: true } });
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: contact.tenantId }, select: { name: true } });
  const sections = STORES.filter(isExported).map((s) => s.export);
  const out = new ExportWriter();
  // The store reads the archive while the sections are written: neither waits for the other to finish.
  const stored = db.$blobs.put(out.archive);
  stored.catch((err: Error) => out.abort(err));
  try {
    for (const s of sections) for (const key of s.counts) out.counts[key] = 0;
    const internalNotesNotIncluded = await db.message.count({ where: { internal: true, ticket: { requesterId: contactId } } });
    const consentStates = await statesOf(db, contactId);
    await out.write(
      `{\n"format": ${JSON.stringify(EXPORT_FORMAT)}, "version": ${EXPORT_VERSION}, "generatedAt": ${JSON.stringify(new Date().toISOString())},\n` +
        `"request": ${JSON.stringify({ id: request.id, type: request.type })},\n` +
        `"controller": ${JSON.stringify({ name: tenant.name })},\n` +
        `"about": ${JSON.stringify({
          categories: Object.fromEntries(sections.map((s) => [s.key, s.about])),
          internalNotes: { included: false, count: internalNotesNotIncluded, policy: INTERNAL_NOTES_POLICY },
          purposes: Object.entries(PURPOSES).map(([name, p]) => ({
            purpose: name,
            description: p.description,
            legalBasis: p.legalBasis,
            yourStatus: consentStates.find((s) => s.purpose === name)?.status ?? null,
          })),
        })}`,
    );
    for (const s of sections) await s.write({ db, contactId, out, consentStates, scanning });
    await out.write("\n}\n");
    out.end();
    const { key, size } = await stored;
    return { blobKey: key, size, counts: { ...out.counts, internalNotesNotIncluded } };
  } catch (err) {
    // A section that failed: the store drops what it had (its writes are all or nothing).
    out.abort(err as Error);
    await stored.catch(() => {});
    throw err;
  }
}
