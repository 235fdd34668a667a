import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { PluginRegistry } from "../plugin-host/registry.js";
import { transfersOutsideEea } from "../plugin-host/transfer.js";

/**
 * Says at start where attachment files go. A plugin's storage serves every
 * tenant, with no acceptance of a transfer per tenant: when it is outside the
 * EEA, the operator is told that tenants with EU data residency are stored there too.
 */
export function logBlobStorage(log: Logger, database: Database, registry: PluginRegistry): void {
  const backend = database.blobs.backend;
  if (!backend) return;
  const plugin = database.blobPlugin ?? undefined;
  log.info(
    { blobBackend: backend.name, location: backend.location, plugin },
    `attachment files are kept by ${backend.name} in ${backend.location}`,
  );
  const manifest = plugin ? registry.get(plugin)?.manifest : undefined;
  const outside = manifest ? transfersOutsideEea(manifest) : [];
  if (manifest && outside.length)
    log.warn(
      { plugin, processingLocations: manifest.processingLocations, transferMechanism: manifest.transferMechanism },
      `attachment files of every tenant, those with EU data residency too, are stored outside the EEA (${outside.join(", ")}, under ${manifest.transferMechanism})`,
    );
}
