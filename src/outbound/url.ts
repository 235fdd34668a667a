import { AppError, validationError } from "../errors.js";
import { AddressNotAllowed, type OutboundGuard } from "./guard.js";

const MAX_URL_LENGTH = 2000;

/**
 * Checks a URL a tenant gives the server to call (a webhook endpoint, a plugin
 * setting) and returns it parsed. Bad input is VALIDATION; an address the
 * server will not call is ADDRESS_NOT_ALLOWED, both naming the input at `path`.
 * The server checks the address again whenever it connects.
 */
export async function checkOutboundUrl(guard: OutboundGuard, raw: string, path: (string | number)[]): Promise<URL> {
  const problem = (message: string) => validationError([{ path, message }]);
  if (raw.length > MAX_URL_LENGTH) throw problem(`at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw problem("not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw problem("must be an http or https URL");
  try {
    await guard.resolve(url.hostname);
  } catch (err) {
    if (err instanceof AddressNotAllowed) throw addressNotAllowed(err, path);
    const code = (err as NodeJS.ErrnoException).code;
    throw problem(
      code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ENODATA" ? `${url.hostname} does not resolve` : (err as Error).message,
    );
  }
  return url;
}

/** ADDRESS_NOT_ALLOWED, with the offending input in `fields` like a VALIDATION error. */
function addressNotAllowed(err: AddressNotAllowed, path: (string | number)[]): AppError {
  return new AppError("ADDRESS_NOT_ALLOWED", `${path.join(".")}: ${err.message}`, {
    fields: [{ path, message: err.message }],
    address: err.address,
  });
}
