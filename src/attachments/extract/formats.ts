import { isTextLikeType } from "../text.js";
import { notExtracted, type ExtractLimits, type ExtractResult } from "./result.js";
import { isHtmlType, isPdf, isZip, mediaType } from "./sniff.js";
import { inspectZip } from "./zip.js";

/**
 * The text of a file, by what its bytes are rather than what it was declared
 * as: a PDF is a PDF whatever its Content-Type says, a ZIP archive is read
 * only when it holds a Word document. HTML and plain text go by the declared
 * type (their bytes prove nothing). Runs in the extraction worker (./worker.ts):
 * every library here parses hostile input.
 */
export async function extractText(bytes: Uint8Array, declaredType: string, limits: ExtractLimits): Promise<ExtractResult> {
  if (isZip(bytes)) return fromDocx(bytes, limits);
  if (isPdf(bytes)) return fromPdf(bytes, limits);
  const type = mediaType(declaredType);
  if (isHtmlType(type)) return fromHtml(bytes, limits);
  if (isTextLikeType(type)) return fromPlainText(bytes, limits);
  return notExtracted("UNSUPPORTED_TYPE", `declared ${type}`);
}

function finished(text: string, limits: ExtractLimits, cut = false): ExtractResult {
  // No-break spaces as spaces: "Piet\u00a0Pieters" is the name erasure looks for, and a search finds.
  text = text.replace(/\u00a0/g, " ");
  // Whitespace, punctuation and the like: a scan or an image with a stray character is no text.
  if (!/[\p{L}\p{N}]/u.test(text)) return notExtracted("NO_TEXT");
  if (text.length > limits.maxChars) return { ok: true, text: text.slice(0, limits.maxChars), truncated: true };
  return { ok: true, text, truncated: cut };
}

async function fromPdf(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractResult> {
  const { getDocumentProxy } = await import("unpdf");
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // Text only: no system fonts looked up, pdf.js's warnings about odd files not printed.
    pdf = await getDocumentProxy(bytes, { useSystemFonts: false, verbosity: 0 });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "PasswordException") return notExtracted("ENCRYPTED");
    return notExtracted("UNREADABLE", `not a readable PDF: ${(err as Error).message}`);
  }
  try {
    const pages: string[] = [];
    let length = 0;
    for (let n = 1; n <= pdf.numPages; n++) {
      const content = await (await pdf.getPage(n)).getTextContent();
      const page = content.items.map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : "")).join("");
      pages.push(page);
      length += page.length + 1;
      // Pages past the limit are not read at all.
      if (length > limits.maxChars && n < pdf.numPages) return finished(normalise(pages), limits, true);
    }
    return finished(normalise(pages), limits);
  } catch (err) {
    return notExtracted("UNREADABLE", `a damaged PDF: ${(err as Error).message}`);
  } finally {
    await pdf.loadingTask.destroy();
  }
}

/** As unpdf's mergePages: runs of spaces collapsed, line breaks kept, at most one blank line. */
const normalise = (pages: string[]) =>
  pages
    .join("\n")
    .replace(/[^\S\n]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n");

async function fromDocx(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractResult> {
  const zip = inspectZip(bytes, limits.maxInflatedBytes);
  if ("ok" in zip) return zip;
  if (!zip.names.includes("[Content_Types].xml") || !zip.names.some((n) => n.startsWith("word/"))) {
    return notExtracted("UNSUPPORTED_TYPE", "a ZIP archive that is not a Word document");
  }
  const { default: mammoth } = await import("mammoth");
  try {
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    return finished(value, limits);
  } catch (err) {
    return notExtracted("UNREADABLE", `not a readable Word document: ${(err as Error).message}`);
  }
}

async function fromHtml(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractResult> {
  const html = decode(bytes);
  if (html === null) return notExtracted("UNREADABLE", "not UTF-8 or UTF-16 text");
  const { convert } = await import("html-to-text");
  const text = convert(html, {
    wordwrap: false,
    // Images say nothing as text (a data: URL would be pages of base64); links keep their
    // addresses, a mailto: among them.
    selectors: [
      { selector: "img", format: "skip" },
      // Headings and header cells as written, not upper-cased: snippets quote the text.
      ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: "table", options: { uppercaseHeaderCells: false } },
    ],
    // Deeply nested markup is cut rather than recursed into; the input is already capped in bytes.
    limits: { maxDepth: 256, maxInputLength: bytes.length },
  });
  return finished(text, limits);
}

function fromPlainText(bytes: Uint8Array, limits: ExtractLimits): ExtractResult {
  const text = decode(bytes);
  return text === null ? notExtracted("UNREADABLE", "not UTF-8 or UTF-16 text") : finished(text, limits);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-16 with its byte-order mark, or UTF-8 (a BOM dropped); null for anything else or text with NUL. */
function decode(bytes: Uint8Array): string | null {
  try {
    const text =
      bytes[0] === 0xff && bytes[1] === 0xfe
        ? new TextDecoder("utf-16le", { fatal: true }).decode(bytes)
        : bytes[0] === 0xfe && bytes[1] === 0xff
          ? new TextDecoder("utf-16be", { fatal: true }).decode(bytes)
          : utf8.decode(bytes);
    return text.includes("\0") ? null : text;
  } catch {
    return null;
  }
}
