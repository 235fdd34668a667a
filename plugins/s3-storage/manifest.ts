import { defineManifest } from "../../src/plugin-host/manifest.js";
import { ADEQUATE, isEea } from "../../src/plugin-host/regions.js";
import type { S3Options } from "./options.js";

const S3_STORAGE = "s3-storage";

/** Where no bucket is configured (the shipped-plugins table): the default region's country, Ireland (eu-west-1). */
const DEFAULT_LOCATION = "IE";

// The bucket is the operator's, so where it is follows from S3_REGION (or S3_LOCATION), and the
// transfer mechanism from that. Why the rest: README.md, "What goes where, and why".
export const manifest = (s3: S3Options | null) => {
  const location = s3?.location ?? DEFAULT_LOCATION;
  return defineManifest({
    id: S3_STORAGE,
    name: "Amazon S3 file storage",
    version: "1.0.0",
    description:
      "Every tenant's attachment files in the operator's S3 bucket instead of on the server's disk: encrypted by Deskgraph under the tenant's key before they leave, and again by S3 at rest. Run by the operator; tenants do not install it.",
    vendor: { legalName: "Amazon Web Services EMEA SARL", country: "LU" },
    processingLocations: [location],
    // The United States is adequate only for companies certified under the Data Privacy
    // Framework; AWS's data processing addendum brings standard contractual clauses for every transfer.
    transferMechanism: isEea(location) ? "EEA" : ADEQUATE.has(location) && location !== "US" ? "ADEQUACY" : "SCC",
    dataCategories: ["user.content.attachment"],
    purposes: [{ purpose: "support", legalBasis: "CONTRACT" }],
    // A file is deleted from the bucket when its attachment is deleted (erasure, retention, tenant deletion).
    retention: { kind: "AS_SOURCE" },
    dpaUrl: "https://d1.awsstatic.com/legal/aws-dpa/aws-dpa.pdf",
    // The operator's options (options.ts), never per-tenant settings.
    config: [],
    storesData: true,
    operatorManaged: true,
  });
};
