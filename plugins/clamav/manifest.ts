import { defineManifest } from "../../src/plugin-host/manifest.js";
import { isEea } from "../../src/plugin-host/regions.js";
import type { ClamavOptions } from "./options.js";

const CLAMAV = "clamav";

// clamd runs on the operator's own servers, so where is an option (CLAMAV_REGION), and the
// transfer mechanism follows from it. Why the rest: README.md, "What goes where".
export const manifest = ({ region }: ClamavOptions) =>
  defineManifest({
    id: CLAMAV,
    name: "ClamAV",
    version: "1.0.0",
    description:
      "Malware scanning of attachments by the operator's own ClamAV daemon (clamd), before anyone can download them. Run by the operator for every tenant without a scanner of its own; tenants do not install it.",
    vendor: { legalName: "Operator-run ClamAV daemon (clamd)", country: region },
    processingLocations: [region],
    transferMechanism: isEea(region) ? "EEA" : "SCC",
    dataCategories: ["user.content.attachment"],
    purposes: [{ purpose: "support", legalBasis: "CONTRACT" }],
    retention: { kind: "TRANSIENT" },
    // No third party is involved: the link documents the daemon the operator runs.
    dpaUrl: "https://docs.clamav.net/manual/Usage/Scanning.html",
    config: [],
    storesData: false,
    operatorManaged: true,
  });
