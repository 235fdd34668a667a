import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A dependency loaded on its first use instead of at start. The vendors' SDKs
 * (Stripe, Twilio, OpenAI, DeepL, AWS) and Redis' client cost hundreds of
 * milliseconds of CPU each to load, which a server or a test that never calls
 * that vendor need not pay. Loaded through the package's CommonJS entry, so
 * that the code around it stays synchronous; every user of a package must go
 * through the same loader (one module instance, so `instanceof` holds).
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
