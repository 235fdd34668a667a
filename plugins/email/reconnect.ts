import type { Logger } from "pino";
import type { TenantClient } from "../../src/db/tenant-scope.js";

/**
 * The mailbox's server refused its credentials, or its provider the OAuth2
 * grant: admins see NEEDS_RECONNECT with the reason in `mailboxes`, the sync
 * stops (the lease is renewed only for CONNECTED mailboxes), replies fail
 * with the reason until someone connects the mailbox again. Logged once, by
 * whoever moved it (a warning with the mailbox's id and the reason).
 */
export async function markNeedsReconnect(db: TenantClient, mailboxId: string, reason: string, log: Logger): Promise<void> {
  const { count } = await db.mailbox.updateMany({
    where: { id: mailboxId, status: "CONNECTED" },
    data: { status: "NEEDS_RECONNECT", statusReason: reason, statusAt: new Date() },
  });
  if (count) log.warn({ mailboxId, reason }, "email mailbox needs reconnecting: an admin must connect it again");
}
