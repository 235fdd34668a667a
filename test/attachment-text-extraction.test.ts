import { PDFDocument } from "pdf-lib";
import { afterAll, describe, expect, it } from "vitest";
import { TextExtractor } from "../src/attachments/extract/pool.js";
import { docxParts, docxWith, pdfWith, zip } from "./support/documents.js";

/**
 * Reading the text of files in the extraction worker: each format, chosen by
 * the bytes; the limits on what comes out; zip bombs refused before anything
 * inflates them; and a worker that hangs or runs out of memory is ended and
 * replaced while the process that asked carries on.
 */

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const limits = { maxChars: 10_000, maxInflatedBytes: 20 * 1024 * 1024 };
const extractors: TextExtractor[] = [];
const extractor = (options: Partial<ConstructorParameters<typeof TextExtractor>[0]> = {}) => {
  const x = new TextExtractor({ timeoutMs: 60_000, maxHeapMb: 128, limits, ...options });
  extractors.push(x);
  return x;
};
afterAll(() => Promise.all(extractors.map((x) => x.close())));

describe("formats", () => {
  const x = extractor();

  it("reads a PDF's pages, whatever type it was declared as", async () => {
    const pdf = await pdfWith(["Invoice 2024-117", "for the flamingo feeder"], ["Page two: delivery by Friday"]);
    for (const declared of ["application/pdf", "application/octet-stream", "text/plain"]) {
      const r = await x.extract(pdf, declared);
      expect(r, declared).toEqual({
        ok: true,
        text: "Invoice 2024-117\nfor the flamingo feeder\nPage two: delivery by Friday",
        truncated: false,
      });
    }
  });

  it("reads a Word document (DOCX), recognised by its parts, not by its declared type", async () => {
    const docx = docxWith(["Dear Piet Pieters,", "your pelican arrives on Monday."]);
    expect(await x.extract(docx, DOCX)).toEqual({
      ok: true,
      text: "Dear Piet Pieters,\n\nyour pelican arrives on Monday.\n\n",
      truncated: false,
    });
    expect(await x.extract(docx, "application/octet-stream")).toMatchObject({ ok: true, text: expect.stringContaining("pelican") });
    // A ZIP archive that is not a Word document is not opened as one.
    expect(await x.extract(zip([{ name: "notes.txt", data: Buffer.from("pelican") }]), "application/zip")).toMatchObject({
      ok: false,
      reason: "UNSUPPORTED_TYPE",
    });
  });

  it("reads HTML as text: markup and images gone, entities decoded, mail addresses kept", async () => {
    const html = `<!doctype html><html><head><style>p { color: red }</style></head><body>
      <h1>Order</h1><p>Call Piet&nbsp;Pieters &amp; co, <a href="mailto:piet.p@example.nl">write</a>.</p>
      <img src="data:image/png;base64,${"A".repeat(5000)}" alt="logo"></body></html>`;
    const r = await x.extract(Buffer.from(html), "text/html; charset=utf-8");
    expect(r).toMatchObject({ ok: true, truncated: false });
    const text = (r as { text: string }).text;
    expect(text).toContain("Order");
    expect(text).toContain("Piet Pieters & co");
    expect(text).toContain("piet.p@example.nl");
    expect(text).not.toMatch(/<|AAAA|color/);
  });

  it("reads text files in UTF-8 and UTF-16 (with its byte-order mark), and nothing that is neither", async () => {
    expect(await x.extract(Buffer.from("Grüße aus Köln"), "text/plain")).toEqual({ ok: true, text: "Grüße aus Köln", truncated: false });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Grüße aus Köln", "utf16le")]);
    expect(await x.extract(utf16, "text/csv")).toEqual({ ok: true, text: "Grüße aus Köln", truncated: false });
    expect(await x.extract(Buffer.from([0x47, 0xff, 0x00, 0x80]), "text/plain")).toMatchObject({ ok: false, reason: "UNREADABLE" });
  });

  it("says why there is no text: an image, a damaged PDF, a PDF without text", async () => {
    expect(await x.extract(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), "image/png")).toMatchObject({
      ok: false,
      reason: "UNSUPPORTED_TYPE",
    });
    expect(await x.extract(Buffer.from("%PDF-1.7\n%broken beyond repair"), "application/pdf")).toMatchObject({
      ok: false,
      reason: "UNREADABLE",
    });
    const scan = await PDFDocument.create();
    scan.addPage().drawRectangle({ x: 10, y: 10, width: 100, height: 100 });
    expect(await x.extract(Buffer.from(await scan.save()), "application/pdf")).toEqual({ ok: false, reason: "NO_TEXT" });
  });

  it("keeps at most maxChars characters of a file's text, and says it cut it", async () => {
    const short = extractor({ limits: { ...limits, maxChars: 1000 } });
    const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");
    const r = await short.extract(Buffer.from(long), "text/plain");
    expect(r).toEqual({ ok: true, text: long.slice(0, 1000), truncated: true });
    const pdf = await pdfWith(...Array.from({ length: 30 }, (_, i) => [`page ${i} ${"lorem ipsum dolor ".repeat(5)}`]));
    const fromPdf = await short.extract(pdf, "application/pdf");
    expect(fromPdf).toMatchObject({ ok: true, truncated: true });
    expect((fromPdf as { text: string }).text).toHaveLength(1000);
  });
});

describe("zip bombs", () => {
  // A small heap: had the document been inflated, the worker would have run out of memory instead.
  const x = extractor({ maxHeapMb: 64 });
  const parts = () => docxParts(["A harmless looking letter."]);

  it("refuses a Word file whose parts declare more than the limit once inflated", async () => {
    const bomb = zip([...parts(), { name: "word/media/filler.bin", data: Buffer.alloc(limits.maxInflatedBytes + 1) }]);
    expect(bomb.length).toBeLessThan(100 * 1024);
    expect(await x.extract(bomb, DOCX)).toMatchObject({ ok: false, reason: "ZIP_BOMB", detail: expect.stringContaining("declare") });
  });

  it("refuses one whose document declares a small size and inflates to far more, before mammoth reads it", async () => {
    const [types, rels] = parts();
    const lying = zip([types!, rels!, { name: "word/document.xml", data: Buffer.alloc(60 * 1024 * 1024, 0x20), declaredSize: 1024 }]);
    expect(await x.extract(lying, DOCX)).toEqual({
      ok: false,
      reason: "ZIP_BOMB",
      detail: "word/document.xml inflates beyond its declared 1024 bytes",
    });
  });

  it("refuses a part that inflates hundreds of times its size, even within the limit", async () => {
    const dense = zip([...parts(), { name: "word/media/dense.bin", data: Buffer.alloc(8 * 1024 * 1024) }]);
    expect(await x.extract(dense, DOCX)).toMatchObject({ ok: false, reason: "ZIP_BOMB", detail: expect.stringContaining("times") });
    // The same letter without the dense part is read.
    expect(await x.extract(zip(parts()), DOCX)).toMatchObject({ ok: true, text: expect.stringContaining("harmless") });
  });
});

describe("the worker", () => {
  const misbehaving = new URL("./fixtures/extract/misbehaving-worker.mjs", import.meta.url);

  it("is terminated when a file takes longer than the time limit, and the next file gets a fresh one", async () => {
    const x = extractor({ timeoutMs: 200, workerUrl: misbehaving });
    const first = await x.extract(Buffer.from("a"), "text/plain");
    expect(first).toMatchObject({ ok: true });
    expect(await x.extract(Buffer.from([1]), "text/plain")).toEqual({ ok: false, reason: "TIMED_OUT", detail: "over 200 ms" });
    const next = await x.extract(Buffer.from("b"), "text/plain");
    expect(next).toMatchObject({ ok: true });
    expect((next as { text: string }).text).not.toBe((first as { text: string }).text);
  });

  it("ends a worker that runs out of its heap, not the process, and carries on with a new one", async () => {
    const x = extractor({ maxHeapMb: 32, workerUrl: misbehaving });
    const first = await x.extract(Buffer.from("a"), "text/plain");
    expect(await x.extract(Buffer.from([2]), "text/plain")).toEqual({ ok: false, reason: "OUT_OF_MEMORY", detail: "over 32 MB" });
    const next = await x.extract(Buffer.from("b"), "text/plain");
    expect(next).toMatchObject({ ok: true });
    expect((next as { text: string }).text).not.toBe((first as { text: string }).text);
  });

  it("takes files one at a time, in order, and refuses work once closed", async () => {
    const x = extractor();
    const texts = await Promise.all(["one", "two", "three"].map((t) => x.extract(Buffer.from(t), "text/plain")));
    expect(texts.map((r) => (r as { text: string }).text)).toEqual(["one", "two", "three"]);
    await x.close();
    await expect(x.extract(Buffer.from("four"), "text/plain")).rejects.toThrow("closed");
  });
});
