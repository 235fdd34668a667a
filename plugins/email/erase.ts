import type { ErasureResult } from "../../src/plugin-host/plugin.js";
import { failureReason } from "./connection.js";
import { closeImap, connectDeps, connectImap } from "./imap.js";
import type { EmailRuntime } from "./options.js";

const STORE = "Connected mailboxes (the tenant's mail provider)";

/**
 * Deletes, in each connected mailbox, the mails of the subject that the
 * helpdesk imported (by the UIDs it stored, in the folder it syncs): the copy
 * at the tenant's mail provider would otherwise outlive the erasure. Nothing
 * else in the mailbox is touched: mails the helpdesk never imported, other
 * folders, and our replies in the provider's Sent folder (if it keeps copies)
 * are the tenant's to delete there. The call names no subject (deletesOnly),
 * so it goes through for someone who restricted processing too.
 *
 * Not for a tenant being deleted (its account closed): its mailboxes are its
 * own, and closing a helpdesk account must not empty them. The receipt says
 * what stays there.
 */
export async function eraseInMailboxes(runtime: EmailRuntime, subject: { contactId: string }): Promise<ErasureResult> {
  const db = runtime.core.db;
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: runtime.tenantId }, select: { closedAt: true } });
  const rows = await db.emailMessage.findMany({
    where: { direction: "INBOUND", uid: { not: null }, message: { authorContactId: subject.contactId }, mailbox: { status: "CONNECTED" } },
    select: { mailboxId: true, uid: true, uidValidity: true },
  });
  if (tenant.closedAt) {
    return {
      store: STORE,
      deleted: 0,
      ...(rows.length
        ? { note: `${rows.length} imported mail(s) stay in the tenant's own mailboxes: a closed account leaves them as they are` }
        : {}),
    };
  }
  const byMailbox = new Map<string, typeof rows>();
  for (const r of rows) byMailbox.set(r.mailboxId, [...(byMailbox.get(r.mailboxId) ?? []), r]);
  let deleted = 0;
  const failed: string[] = [];
  const renumbered: string[] = [];
  for (const [mailboxId, mails] of byMailbox) {
    const mailbox = await db.mailbox.findUnique({ where: { id: mailboxId } });
    if (!mailbox) continue;
    try {
      await runtime.call(
        { operation: "erase", purpose: "support", categories: ["user.content.message"], subjectIds: [], deletesOnly: true },
        async () => {
          const client = await connectImap(connectDeps(runtime), mailbox);
          try {
            const folder = await client.mailboxOpen(mailbox.folder);
            const uids = mails.filter((m) => m.uidValidity === folder.uidValidity).map((m) => m.uid!.toString());
            if (uids.length < mails.length) renumbered.push(mailboxId);
            if (!uids.length) return;
            const found = (await client.search({ uid: uids.join(",") }, { uid: true })) || [];
            if (found.length && (await client.messageDelete(found.join(","), { uid: true }))) deleted += found.length;
          } finally {
            await closeImap(client);
          }
        },
      );
    } catch (err) {
      failed.push(failureReason(err));
    }
  }
  const notes = [
    renumbered.length ? `${renumbered.length} mailbox(es) renumbered their folder since: those mails could not be found by UID` : null,
    failed.length ? `${failed.length} mailbox(es) could not be reached (${[...new Set(failed)].join(", ")}); run the erasure again` : null,
  ].filter(Boolean);
  return { store: STORE, deleted, ...(notes.length ? { note: notes.join("; ") } : {}) };
}
