import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets at rest. A ciphertext names the key that sealed it
 * (the first 8 hex digits of the key's SHA-256), so keys can be rotated: the
 * current key seals, any listed key opens, and `rotate` re-seals with the current one.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  constructor(current: Buffer, previous: Buffer[] = []) {
    if (current.length !== 32) throw new Error("The encryption key must be 32 bytes");
    this.currentId = keyId(current);
    for (const key of [current, ...previous]) this.keys.set(keyId(key), key);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.currentId)!, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return ["v1", this.currentId, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(":");
  }

  open(sealed: string): string {
    const [version, id, iv, tag, body] = sealed.split(":");
    const key = id ? this.keys.get(id) : undefined;
    if (version !== "v1" || !key || !iv || !tag || body === undefined) throw new Error("Secret sealed with an unknown key or format");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
  }

  /** Whether a ciphertext was sealed with an older key. */
  isStale(sealed: string): boolean {
    return sealed.split(":")[1] !== this.currentId;
  }

  rotate(sealed: string): string {
    return this.isStale(sealed) ? this.seal(this.open(sealed)) : sealed;
  }
}

const keyId = (key: Buffer) => createHash("sha256").update(key).digest("hex").slice(0, 8);
