import type { PluginManifest } from "./manifest.js";
import { isEea } from "./regions.js";

export type TransferStatus = "NOT_NEEDED" | "ACCEPTED" | "ACCEPTANCE_REQUIRED";

interface Acceptance {
  acceptedLocations: string[];
  acceptedCategories: string[];
  acceptedAt: Date | null;
}

/** Countries outside the EEA where the plugin's vendor processes data. */
export const transfersOutsideEea = (m: PluginManifest) => m.processingLocations.filter((c) => !isEea(c));

/**
 * A tenant with EU residency may send data outside the EEA only under an
 * adequacy decision or SCCs, and only once an admin accepted this manifest's
 * locations and categories. A manifest that adds either needs a new acceptance.
 */
export function transferStatus(residency: "EU" | "ANY", manifest: PluginManifest, install: Acceptance | null): TransferStatus {
  if (residency === "ANY" || transfersOutsideEea(manifest).length === 0) return "NOT_NEEDED";
  if (!install?.acceptedAt) return "ACCEPTANCE_REQUIRED";
  const covers = (accepted: string[], needed: string[]) => needed.every((x) => accepted.includes(x));
  return covers(install.acceptedLocations, manifest.processingLocations) && covers(install.acceptedCategories, manifest.dataCategories)
    ? "ACCEPTED"
    : "ACCEPTANCE_REQUIRED";
}
