import type { ErasureResult } from "../../src/plugin-host/plugin.js";
import type { TwilioRuntime } from "./options.js";
import { outboundGuard } from "../../src/outbound/guard.js";
import { failureCode, twilioClient } from "./client.js";

/**
 * Deletes the subject's messages at Twilio, sent and received, by the
 * MessageSids we stored (DELETE /Messages/{Sid}). Twilio's own backups may
 * keep a body up to 30 days longer. The call names no subject: an erasure must
 * go through even for someone who withdrew consent or restricted processing.
 */
export async function eraseAtTwilio(runtime: TwilioRuntime, subject: { contactId: string }): Promise<ErasureResult> {
  const messages = await runtime.core.db.message.findMany({
    where: {
      channel: "SMS",
      externalId: { startsWith: "SM" },
      OR: [{ authorContactId: subject.contactId }, { ticket: { requesterId: subject.contactId } }],
    },
    select: { externalId: true },
  });
  const sids = messages.map((m) => m.externalId!);
  let deleted = 0;
  let gone = 0;
  const failed: string[] = [];
  if (sids.length) {
    await runtime.call(
      { operation: "erase", purpose: "sms.messaging", categories: ["user.content.message"], subjectIds: [], deletesOnly: true },
      async () => {
        const client = twilioClient(runtime.settings, outboundGuard(runtime.core.config));
        for (const sid of sids) {
          try {
            await client.messages(sid).remove();
            deleted++;
          } catch (err) {
            if ((err as { status?: number }).status === 404) gone++;
            else failed.push(failureCode(err));
          }
        }
      },
    );
  }
  const notes = [
    gone ? `${gone} already deleted at Twilio` : null,
    failed.length ? `${failed.length} could not be deleted (${[...new Set(failed)].join(", ")}); run the erasure again` : null,
  ].filter(Boolean);
  return { store: "Twilio (message logs)", deleted, ...(notes.length ? { note: notes.join("; ") } : {}) };
}
