import { fromBuffer, type Entry, type ZipFile } from "yauzl";

/** A personal-data export archive read back: its JSON document and its files by path. */
export interface ExportArchive {
  document: any;
  files: Map<string, Buffer>;
}

export async function readExportArchive(zip: Buffer): Promise<ExportArchive> {
  const zipfile = await new Promise<ZipFile>((resolve, reject) =>
    fromBuffer(zip, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zipfile.on("error", reject);
    zipfile.on("end", resolve);
    zipfile.on("entry", (entry: Entry) => {
      zipfile.openReadStream(entry, async (err, stream) => {
        if (err) return reject(err);
        const parts: Buffer[] = [];
        for await (const c of stream) parts.push(c as Buffer);
        files.set(entry.fileName, Buffer.concat(parts));
        zipfile.readEntry();
      });
    });
    zipfile.readEntry();
  });
  const json = files.get("personal-data.json");
  if (!json) throw new Error(`no personal-data.json in the archive (entries: ${[...files.keys()].join(", ")})`);
  files.delete("personal-data.json");
  return { document: JSON.parse(json.toString("utf8")), files };
}
