import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const blobsCopy: Command = {
  name: "blobs:copy",
  summary: "copy the attachment files on the local disk into the storage a plugin provides (S3)",
  description:
    "Copies the encrypted attachment files kept on the local disk (BLOB_DIR, or DATA_DIR/blobs) into the storage of the plugin configured for files, " +
    "such as an S3 bucket (S3_BUCKET), as they are: nothing is decrypted. Files the storage already holds are passed over, so it is safe to stop and run again. " +
    "Run it once while the server still uses the disk, then again after stopping it, before starting it with the new storage.",
  options: {
    from: { type: "string", value: "<dir>", description: "the directory the files are in (default: BLOB_DIR, else DATA_DIR/blobs)" },
  },
  run: ({ config, io, values }) =>
    withDatabase(config, io, "blobs:copy", async (database) => {
      const [{ existsSync }, { localBlobDir }, { LocalDiskBackend }, { copyLocalBlobs }] = await Promise.all([
        import("node:fs"),
        import("../blobs/open.js"),
        import("../blobs/local-disk.js"),
        import("../blobs/copy.js"),
      ]);
      const target = database.blobs.backend;
      if (!database.blobPlugin || !target) {
        io.err(
          "No plugin provides the storage of files here, so they are on the local disk already: configure one first (S3_BUCKET, see plugins/s3-storage).",
        );
        return 1;
      }
      const dir = (values.from as string | undefined) ?? localBlobDir(config);
      if (!dir || !existsSync(dir)) {
        io.err(
          dir ? `No directory ${dir}.` : "Name the directory the files are in with --from (DATA_DIR is memory:// and BLOB_DIR is not set).",
        );
        return 1;
      }
      io.out(`Copying the files in ${dir} to ${target.location}…`);
      const report = await copyLocalBlobs(database, new LocalDiskBackend(dir), target, {
        onFile: (r) => {
          if ((r.copied + r.present + r.orphaned) % 500 === 0) io.out(`${r.copied} copied, ${r.present} there already so far.`);
        },
      });
      io.out(
        `Copied ${report.copied} file(s); ${report.present} were there already; ${report.orphaned} of tenants that no longer exist were left out.`,
      );
      return 0;
    }),
};
