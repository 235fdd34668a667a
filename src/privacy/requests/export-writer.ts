import { once } from "node:events";
import { PassThrough, type Readable } from "node:stream";
import { ZipFile } from "yazl";

/**
 * Writes the export as a ZIP archive while it is being stored: first
 * `personal-data.json`, written section by section and batch by batch, then
 * the person's files, each read from the blob store only when its turn comes.
 * Neither a long history nor a large file sits in memory at once. Each store
 * writes its own section (src/privacy/stores/).
 */

export const EXPORT_BATCH = 500;

/** The archive's JSON document; files are under `attachments/`. */
const EXPORT_DOCUMENT = "personal-data.json";

interface ArchivedFile {
  path: string;
  compress: boolean;
  open: () => Promise<Readable>;
}

export class ExportWriter {
  private readonly zip = new ZipFile();
  private readonly json = new PassThrough();
  private readonly files: ArchivedFile[] = [];
  /** Rows written per count key: the receipt's `counts`. */
  readonly counts: Record<string, number> = {};
  /** The archive's bytes, as they are made: whoever stores them must read while the sections are written. */
  readonly archive: Readable = this.zip.outputStream as PassThrough;

  constructor() {
    this.zip.addReadStream(this.json, EXPORT_DOCUMENT);
    // yazl reports a file that failed to open or read on the zip file, not on its output.
    this.zip.on("error", (err: Error) => this.abort(err));
  }

  /** Writes text, waiting whenever the archive's reader is behind. */
  async write(text: string): Promise<void> {
    if (!this.json.write(text)) await once(this.json, "drain");
  }

  /** `,\n"key": value`: a section that is one value. */
  async value(key: string, value: unknown): Promise<void> {
    await this.write(`,\n${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  }

  /** `,\n"key": [ … ]`, one batch at a time; each row counts under `countKey`. */
  async array<T>(key: string, countKey: string, batches: AsyncIterable<T[]>, shape: (row: T) => unknown | Promise<unknown>): Promise<void> {
    await this.write(`,\n${JSON.stringify(key)}: `);
    await this.list(countKey, batches, shape);
  }

  /** `[ … ]` alone, for a list inside an object written by hand. */
  async list<T>(countKey: string, batches: AsyncIterable<T[]>, shape: (row: T) => unknown | Promise<unknown>): Promise<void> {
    this.counts[countKey] ??= 0;
    await this.write("[");
    let first = true;
    for await (const rows of batches) {
      let text = "";
      for (const row of rows) {
        text += (first ? "\n" : ",\n") + JSON.stringify(await shape(row));
        first = false;
        this.counts[countKey]++;
      }
      await this.write(text);
    }
    await this.write("\n]");
  }

  /**
   * Puts a file in the archive after the JSON, under `path` (which the JSON
   * names). `open` is called only when the file's turn comes, so that one file
   * at a time is read. Files already compressed (images, PDFs) are stored as
   * they are.
   */
  file(path: string, contentType: string, open: () => Promise<Readable>): void {
    this.files.push({ path, compress: COMPRESSIBLE.test(contentType), open });
  }

  /** Ends the JSON, adds the files and closes the archive; `archive` ends once the last byte is out. */
  end(): void {
    this.json.end();
    for (const f of this.files) {
      this.zip.addReadStreamLazy(f.path, { compress: f.compress }, (cb) => {
        f.open().then(
          (stream) => cb(null, stream),
          (err: unknown) => cb(err, undefined as never),
        );
      });
    }
    this.zip.end();
  }

  /** Stops everything: the archive's reader gets `err`, and a write waiting for room fails with it. */
  abort(err: Error): void {
    this.json.destroy(err);
    this.archive.destroy(err);
  }
}

const COMPRESSIBLE = /^(text\/|application\/(json|xml|.*\+xml|.*\+json|rtf|x-ndjson))/i;

/**
 * A file's name inside the archive: its own name, without anything that
 * would make it a path or confuse an unzip tool, under a folder of its id so
 * that two files of the same name never collide.
 */
export function archivedFilePath(id: string, filename: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const safe = filename.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, "_").replace(/^\.+/, "_") || "file";
  return `attachments/${id}/${safe}`;
}

/** Pages through rows with Prisma's cursor, in a fixed order. */
export async function* pages<T extends { id: string }>(
  read: (cursor: { cursor: { id: string }; skip: 1 } | Record<string, never>) => Promise<T[]>,
): AsyncGenerator<T[]> {
  let last: string | undefined;
  for (;;) {
    const rows = await read(last ? { cursor: { id: last }, skip: 1 } : {});
    if (rows.length) yield rows;
    if (rows.length < EXPORT_BATCH) return;
    last = rows.at(-1)!.id;
  }
}
