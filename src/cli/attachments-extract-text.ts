import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const attachmentsExtractText: Command = {
  name: "attachments:extract-text",
  summary: "extract the text of attachments that have none yet, for search and erasure",
  description:
    "Reads the text of every uploaded attachment whose text is not known yet and that may be read (found CLEAN by the malware scan, or unscanned with scanning off; " +
    "PDF, Word, HTML, text; within ATTACHMENT_EXTRACT_MAX_BYTES, " +
    "ATTACHMENT_EXTRACT_TIMEOUT_SECONDS and ATTACHMENT_EXTRACT_MAX_HEAP_MB), in a worker thread, and makes the search words again of texts that lost them " +
    "(a tenant whose language changed). Safe to stop and to run again. The server does the same in the background at start and after each retention sweep.",
  options: {
    batch: { type: "string", value: "<n>", description: "attachments looked up per batch, 1 to 10000", default: "100" },
    "retry-failed": {
      type: "boolean",
      description: "also try again the files whose text could not be extracted before (after raising a limit)",
    },
  },
  usageProblem: ({ values }) => {
    const n = Number(values.batch ?? "100");
    return Number.isInteger(n) && n >= 1 && n <= 10_000 ? null : "--batch must be a whole number from 1 to 10000";
  },
  run: ({ config, io, values }) =>
    withDatabase(config, io, "attachments:extract-text", async (database) => {
      const [{ createLogger }, { textExtractor }, { extractPendingTexts }] = await Promise.all([
        import("../logger.js"),
        import("../attachments/extract/pool.js"),
        import("../attachments/extract/service.js"),
      ]);
      const extractor = textExtractor(config);
      try {
        const done = await extractPendingTexts(
          { config, database, log: createLogger(config.logLevel), extractor },
          {
            batch: Number(values.batch ?? "100"),
            retryNotExtracted: values["retry-failed"] === true,
            onBatch: (n) => io.out(`Handled ${n} file(s) so far.`),
          },
        );
        const counts = await database.prisma.attachment.groupBy({
          by: ["textStatus"],
          _count: { _all: true },
          orderBy: { textStatus: "asc" },
        });
        io.out(
          `Handled ${done} attachment file(s). Text status now: ${counts.map((c) => `${c.textStatus} ${c._count._all}`).join(", ") || "no files"}.`,
        );
        return 0;
      } finally {
        await extractor.close();
      }
    }),
};
