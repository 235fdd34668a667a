import type { Database } from "../../db/database.js";
import { notFound } from "../../errors.js";
import { invalidateAiModels } from "../../ai/invalidate.js";
import { assertNoLegalHold } from "../restriction.js";
import { ERASURE_PHASES, type ErasedFile, type ErasureRun, type LineCounts } from "../stores/store.js";
import { STORES } from "../stores/index.js";
import type { Identifiers } from "./identifiers.js";
import { scanForIdentifiers, SCANNED_STORES, type ScannedStore } from "./scan.js";
/**
 * GDPR art. 17: erases one contact's personal data and keeps an anonymous shell,
 * so that tickets stay with the tenant and statistics still add up. What happens
 * to each store is declared by the store (src/privacy/stores/); this runs their
 * steps in order and writes the receipt.
 *
 * Every step works in batches, each batch in a transaction of its own, and picks
 * its rows by condition (not yet redacted, still holding an identifier…). The
 * contact row is anonymised last: until then it still holds the identifiers, so
 * an erasure that stops half-way is completed by running it again, and running it
 * on an erased contact changes nothing.
 */

const DEFAULT_BATCH = 500;

interface PluginErasure {
  pluginId: string;
  store: string;
  deleted: number;
  ok: boolean;
  note?: string;
}

export interface EraseOptions {
  batchSize?: number;
  /** Asks integrations that keep data of their own to erase it too (the plugin host's erase hooks). */
  eraseAtPlugins?: (subject: { contactId: string; email: string | null; phone: string | null }) => Promise<PluginErasure[]>;
}

/**
 * What erasure changed, by the key each store's receipt line declares (contacts,
 * messagesRedacted, attachmentsDeleted, portalTokensDeleted, exportsDeleted,
 * subjectsScrubbed, bodiesScrubbed, filenamesScrubbed, attachmentContentsScrubbed,
 * attachmentsMentioningDeleted, unsearchableAttachmentsDeleted, requestDetailsScrubbed). Kept rows are not counted here.
 */
type ErasureCounts = Record<string, number>;

export interface ErasureReceipt {
  contactId: string;
  erasedAt: string;
  /** True when the contact had been erased before: nothing was left to do. */
  alreadyErased: boolean;
  counts: ErasureCounts;
  stores: { store: string; action: string; count: number; note?: string }[];
  /** Every attachment file deleted or redacted, with why. */
  files: ErasedFile[];
  plugins: PluginErasure[];
  /** What became of the tenant's local AI models, which may have learnt from what the person wrote. */
  aiModels: string;
  verification: {
    scannedStores: ScannedStore[];
    leftovers: number;
    byStore: Record<string, number>;
    /**
     * Files elsewhere (on other people's tickets) that cannot be searched (not
     * text): kept, and not verified. Never folded into a silent `leftovers: 0`.
     */
    unverifiable: number;
    /** Other contacts with the same name: not counted as leftovers. */
    namesakes: number;
  };
}

const add = (total: LineCounts, more: LineCounts) => {
  for (const [line, n] of Object.entries(more)) total[line] = (total[line] ?? 0) + n;
};

export async function eraseContact(
  database: Database,
  tenantId: string,
  contactId: string,
  opts: EraseOptions = {},
): Promise<ErasureReceipt> {
  const db = database.forTenant(tenantId);
  const contact = await db.contact.findUnique({ where: { id: contactId } });
  if (!contact) throw notFound("Contact");
  assertNoLegalHold(contact);
  const alreadyErased = contact.erasedAt !== null;
  // Held in memory for this run only; after the last step no copy is left anywhere.
  const ids: Identifiers = alreadyErased ? {} : { name: contact.name, email: contact.email, phone: contact.phone };
  const run: ErasureRun = {
    db,
    tenantId,
    contactId,
    ids,
    alreadyErased,
    batch: opts.batchSize ?? DEFAULT_BATCH,
    now: new Date(),
    files: [],
  };
  const done: LineCounts = {};

  for (const phase of ERASURE_PHASES) {
    for (const store of STORES) for (const step of store.erasure.steps) if (step.phase === phase) add(done, await step.run(run));
  }

  // Integrations are asked while the email and phone they may key on are still known.
  const plugins =
    !alreadyErased && opts.eraseAtPlugins ? await opts.eraseAtPlugins({ contactId, email: contact.email, phone: contact.phone }) : [];

  await db.$transaction(async (tx) => {
    const current = await tx.contact.findUnique({ where: { id: contactId } });
    if (!current) throw notFound("Contact");
    assertNoLegalHold(current);
    const final = { ...run, erasedBefore: current.erasedAt !== null };
    for (const store of STORES) if (store.erasure.final) add(done, await store.erasure.final(tx, final));
    // The local AI models learnt from what the person wrote: every instance drops them and trains without it.
    if (!final.erasedBefore) await invalidateAiModels(tx, tenantId);
  });

  const scan = await scanForIdentifiers(db, tenantId, ids, { nameOnlyOn: contactId });
  // Same name, other person: their rows are not leftovers, but their texts were scrubbed too (exact matches cannot tell).
  const namesakes = ids.name
    ? await db.contact.count({ where: { id: { not: contactId }, name: { equals: ids.name, mode: "insensitive" } } })
    : 0;
  for (const store of STORES) if (store.erasure.report) add(done, await store.erasure.report(run, scan));

  const lines = STORES.flatMap((s) => s.erasure.lines);
  return {
    contactId,
    erasedAt: (contact.erasedAt ?? run.now).toISOString(),
    alreadyErased,
    counts: Object.fromEntries(lines.filter((l) => l.countsAs).map((l) => [l.countsAs!, done[l.store] ?? 0])),
    stores: lines.map((l) => ({ store: l.store, action: l.action, count: done[l.store] ?? 0, ...(l.note ? { note: l.note } : {}) })),
    files: run.files,
    plugins,
    aiModels: alreadyErased
      ? "nothing left to do: they were trained again without the person at the first erasure"
      : "dropped on every instance and trained again without the person's data",
    verification: {
      scannedStores: [...SCANNED_STORES],
      leftovers: scan.total,
      byStore: Object.fromEntries(scan.stores.map((s) => [s.store, s.matches])),
      unverifiable: scan.unsearchable,
      namesakes,
    },
  };
}
