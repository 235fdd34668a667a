import { once } from "node:events";
import { createGzip } from "node:zlib";

/**
 * Writes the export's JSON straight into gzip, section by section and batch by
 * batch, so that a person with tens of thousands of messages never sits in
 * memory at once. Each store writes its own section (src/privacy/stores/).
 */

export const EXPORT_BATCH = 500;

export class ExportWriter {
  private readonly gzip = createGzip();
  private readonly chunks: Buffer[] = [];
  /** Rows written per count key: the receipt's `counts`. */
  readonly counts: Record<string, number> = {};

  constructor() {
    this.gzip.on("data", (c: Buffer) => this.chunks.push(c));
  }

  /** Writes text, waiting whenever the compressor's buffer is full. */
  async write(text: string): Promise<void> {
    if (!this.gzip.write(text)) await once(this.gzip, "drain");
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

  async end(): Promise<Uint8Array<ArrayBuffer>> {
    const ended = once(this.gzip, "end");
    this.gzip.end();
    await ended;
    return Buffer.concat(this.chunks) as Uint8Array<ArrayBuffer>;
  }
}

export const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

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
