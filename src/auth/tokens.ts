import { hash, randomBytes } from "node:crypto";

/** Credentials are random, shown once, and stored only as a SHA-256 digest. */
export function newToken(prefix: "dgs" | "dgk" | "dgi" | "dgp"): { token: string; hash: string } {
  const token = `${prefix}_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return hash("sha256", token, "hex");
}
