import type { PluginDefinition } from "../../src/plugin-host/plugin.js";
import { manifest } from "./manifest.js";
import { options, type ClamavOptions } from "./options.js";

/**
 * ClamAV: the operator's clamd scans the attachments of every tenant that has
 * no scanner plugin of its own, over clamd's INSTREAM protocol (clamd.ts) on
 * its unix socket or TCP port. Configured from the environment (options.ts);
 * tenants neither configure nor enable it.
 */
export const clamav: PluginDefinition<Record<string, never>, ClamavOptions> = {
  manifest,
  options,
  provides: {
    operatorAttachmentScanner: async (o) => (o.address ? (await import("./scanner.js")).clamdScanner({ ...o, address: o.address }) : null),
  },
};
