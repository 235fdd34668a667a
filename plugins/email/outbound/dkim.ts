import { createPrivateKey } from "node:crypto";
import { ConfigError } from "../../../src/config.js";

/** The operator's DKIM key for its own domain. */
export interface DkimOptions {
  domain: string;
  selector: string;
  /** PEM (PKCS#8 or PKCS#1, RSA or Ed25519). */
  privateKey: string;
}

/**
 * EMAIL_DKIM_DOMAIN, EMAIL_DKIM_SELECTOR and EMAIL_DKIM_PRIVATE_KEY: all
 * three or none. The key is checked at start (a key that does not load would
 * otherwise fail every send); in an environment file its line breaks may be
 * written as \n.
 */
export function dkimOptions(domain?: string, selector?: string, key?: string): DkimOptions | null {
  const set = [domain, selector, key].filter(Boolean).length;
  if (set === 0) return null;
  if (set < 3 || !domain || !selector || !key) {
    throw new ConfigError(["EMAIL_DKIM_DOMAIN, EMAIL_DKIM_SELECTOR and EMAIL_DKIM_PRIVATE_KEY: set all three or none"]);
  }
  const privateKey = key.includes("\\n") ? key.replaceAll("\\n", "\n") : key;
  try {
    const type = createPrivateKey(privateKey).asymmetricKeyType;
    if (type !== "rsa" && type !== "ed25519") throw new Error(type);
  } catch {
    throw new ConfigError(["EMAIL_DKIM_PRIVATE_KEY: must be an RSA or Ed25519 private key in PEM"]);
  }
  return { domain, selector, privateKey };
}

/**
 * nodemailer's DKIM signing for a mail from `address`, when it is in the
 * operator's DKIM domain (or a subdomain of it): only the domain's owner can
 * publish the key that verifies it, so mail from tenants' own domains is
 * left to their providers, which sign it themselves.
 */
export function dkimFor(dkim: DkimOptions | null, address: string) {
  if (!dkim) return undefined;
  const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase();
  if (domain !== dkim.domain && !domain.endsWith(`.${dkim.domain}`)) return undefined;
  // d= is the domain whose DNS has the key; a subdomain sender aligns with it under relaxed DMARC alignment.
  return { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.privateKey };
}
