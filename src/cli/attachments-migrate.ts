import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const attachmentsMigrate: Command = {
  name: "attachments:migrate",
  summary: "move attachment files stored in the database into the encrypted blob store",
  description:
    "Moves the files of attachments written before the blob store (kept in the database) into the blob store, in batches, encrypted under each tenant's data key. " +
    "Safe to run again and to stop: each file is either moved or left as it was. The server also does this in the background when it starts; " +
    "files not moved yet are served from the database meanwhile.",
  options: {
    batch: { type: "string", value: "<n>", description: "files looked up per batch, 1 to 10000", default: "100" },
  },
  usageProblem: ({ values }) => {
    const n = Number(values.batch ?? "100");
    return Number.isInteger(n) && n >= 1 && n <= 10_000 ? null : "--batch must be a whole number from 1 to 10000";
  },
  run: ({ config, io, values }) =>
    withDatabase(config, io, "attachments:migrate", async (database) => {
      const { moveAttachmentsToStore } = await import("../attachments/move-to-store.js");
      const moved = await moveAttachmentsToStore(database, {
        batch: Number(values.batch ?? "100"),
        onBatch: (_n, total) => io.out(`Moved ${total} file(s) so far.`),
      });
      io.out(`Moved ${moved} attachment file(s) from the database into the blob store.`);
      return 0;
    }),
};
