import { z } from "zod";
import { ConfigError } from "../../src/config.js";
import { envOptions } from "../../src/plugin-host/options.js";

/** Where clamd listens: its local (unix) socket, or a TCP address. */
export type ClamdAddress = { socket: string } | { host: string; port: number };

export interface ClamavOptions {
  /** Null when the operator configured no clamd: the plugin then offers no scanner. */
  address: ClamdAddress | null;
  /** Where the operator's clamd runs (a country code): the manifest's processing location. */
  region: string;
  /** clamd's StreamMaxLength: a larger file is refused before a byte is sent (it could never be scanned whole). */
  streamMaxBytes: number;
}

/** clamd's own default for StreamMaxLength (100M); Debian's packaged clamd.conf sets 25M. */
const CLAMD_DEFAULT_STREAM_MAX = 100 * 1024 * 1024;

/**
 * The operator's clamd, read from the environment at start: CLAMAV_SOCKET, or
 * CLAMAV_HOST with CLAMAV_PORT. Neither: ClamAV is off. An option without its
 * address would half-configure it, and is refused like both addresses at once.
 */
export const options = envOptions(
  {
    CLAMAV_SOCKET: z.string().startsWith("/", "must be an absolute path to clamd's LocalSocket").optional(),
    CLAMAV_HOST: z.string().min(1).optional(),
    CLAMAV_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    CLAMAV_REGION: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code such as DE")
      .optional(),
    CLAMAV_STREAM_MAX_BYTES: z.coerce.number().int().min(1).optional(),
  },
  (e): ClamavOptions => {
    const problems: string[] = [];
    if (e.CLAMAV_SOCKET && e.CLAMAV_HOST) problems.push("CLAMAV_SOCKET: set it or CLAMAV_HOST, not both (one clamd, one address)");
    const configured = Boolean(e.CLAMAV_SOCKET || e.CLAMAV_HOST);
    if (e.CLAMAV_PORT !== undefined && !e.CLAMAV_HOST) problems.push("CLAMAV_PORT: set CLAMAV_HOST too (the port of which host?)");
    for (const k of ["CLAMAV_REGION", "CLAMAV_STREAM_MAX_BYTES"] as const)
      if (e[k] !== undefined && !configured)
        problems.push(`${k}: set CLAMAV_SOCKET or CLAMAV_HOST too, or unset it (ClamAV is off without an address)`);
    if (problems.length) throw new ConfigError(problems);
    return {
      address: e.CLAMAV_SOCKET ? { socket: e.CLAMAV_SOCKET } : e.CLAMAV_HOST ? { host: e.CLAMAV_HOST, port: e.CLAMAV_PORT ?? 3310 } : null,
      region: e.CLAMAV_REGION ?? "DE",
      streamMaxBytes: e.CLAMAV_STREAM_MAX_BYTES ?? CLAMD_DEFAULT_STREAM_MAX,
    };
  },
);
