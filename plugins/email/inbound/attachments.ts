import { addAttachment } from "../../../src/attachments/service.js";
import { AppError } from "../../../src/errors.js";
import type { EmailRuntime } from "../options.js";
import type { FileToStore } from "./content.js";

/**
 * Stores a mail's files on its message through the attachment service, as
 * the plugin (uploadedBy system:email), once the message is committed: the
 * service checks, stores and audits them as it does any file. A file already
 * on the message (same name and size: a run cut off half-way, finished by the
 * next sync) is not stored twice. A restricted requester's files are not
 * stored (processing them is what the restriction stops); the mail's text is.
 */
export async function storeFiles(runtime: EmailRuntime, messageId: string, files: FileToStore[]): Promise<number> {
  const db = runtime.core.db;
  const present = await db.attachment.findMany({ where: { messageId }, select: { filename: true, size: true } });
  const have = new Set(present.map((a) => `${a.filename}\n${a.size}`));
  let stored = 0;
  for (const file of files) {
    if (have.has(`${file.filename}\n${file.content.length}`)) continue;
    try {
      await addAttachment(runtime.core, {
        messageId,
        filename: file.filename,
        contentType: file.contentType,
        contentBase64: file.content.toString("base64"),
      });
      stored++;
    } catch (err) {
      if (err instanceof AppError && err.code === "PROCESSING_RESTRICTED") {
        runtime.log.info({ messageId }, "email attachments not stored: the requester restricted processing");
        break;
      }
      throw err;
    }
  }
  await db.emailMessage.updateMany({ where: { messageId }, data: { attachmentsPending: false } });
  return stored;
}
