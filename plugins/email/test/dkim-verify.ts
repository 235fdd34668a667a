import { createHash, verify } from "node:crypto";

/**
 * A DKIM verifier for the tests (RFC 6376, relaxed/relaxed, rsa-sha256 and
 * ed25519-sha256), small enough to read: the body hash over the relaxed body,
 * then the signature over the signed headers and the DKIM-Signature itself
 * (b= emptied), checked with the public key the test would publish in DNS.
 * Returns why it fails, or null when the signature holds.
 */
export function dkimFailure(raw: string, publicKeyPem: string): string | null {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split + 2);
  const body = raw.slice(split + 4);
  const headers = unfold(head);
  const signature = headers.find((h) => h.name.toLowerCase() === "dkim-signature");
  if (!signature) return "no DKIM-Signature";
  const tags = new Map(
    signature.value.split(";").flatMap((t) => {
      const at = t.indexOf("=");
      return at < 0 ? [] : [[t.slice(0, at).trim(), t.slice(at + 1).replace(/\s+/g, "")] as [string, string]];
    }),
  );
  if (tags.get("c") !== "relaxed/relaxed") return `canonicalization ${tags.get("c")}`;
  const bodyHash = createHash("sha256").update(relaxedBody(body)).digest("base64");
  if (bodyHash !== tags.get("bh")) return "body hash";
  // Each name in h= takes the last unused instance of that header, from the bottom.
  const pool = [...headers];
  const signed = (tags.get("h") ?? "").split(":").map((name) => {
    const i = pool.map((h) => h.name.toLowerCase()).lastIndexOf(name.toLowerCase());
    return i < 0 ? "" : relaxedHeader(pool.splice(i, 1)[0]!);
  });
  const ownValue = signature.value.replace(/(^|;)(\s*b\s*=)[^;]*/, "$1$2");
  const data = [...signed.filter(Boolean).map((h) => `${h}\r\n`), relaxedHeader({ name: signature.name, value: ownValue })].join("");
  const algorithm = tags.get("a") === "ed25519-sha256" ? null : "sha256";
  const ok = verify(algorithm, Buffer.from(data), publicKeyPem, Buffer.from(tags.get("b") ?? "", "base64"));
  return ok ? null : "signature";
}

interface Header {
  name: string;
  value: string;
}

function unfold(head: string): Header[] {
  return head
    .replace(/\r\n(?=[ \t])/g, "\n")
    .split("\r\n")
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(":");
      return { name: line.slice(0, at), value: line.slice(at + 1) };
    });
}

const relaxedHeader = (h: Header) =>
  `${h.name.trim().toLowerCase()}:${h.value
    .replace(/\n/g, "")
    .replace(/[ \t]+/g, " ")
    .trim()}`;

function relaxedBody(body: string): string {
  const lines = body.split("\r\n").map((l) => l.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  while (lines.length && lines.at(-1) === "") lines.pop();
  return lines.length ? `${lines.join("\r\n")}\r\n` : "";
}
