import type { Database } from "../db/database.js";
import { DATA_CATEGORIES, PURPOSES, type DataCategory, type PurposeName } from "../privacy/taxonomy.js";
import type { PluginManifest } from "./manifest.js";
import type { PluginRegistry } from "./registry.js";
import { transfersOutsideEea } from "./transfer.js";

/** What the core itself processes, per purpose: the part of the record no plugin changes. */
const CORE: Record<PurposeName, { subjects: string[]; categories: DataCategory[] }> = {
  support: {
    subjects: ["customers (contacts)", "support staff (agents)"],
    categories: [
      "user.name",
      "user.contact.email",
      "user.contact.phone",
      "user.preference.locale",
      "user.organization",
      "user.content.message",
      "user.content.attachment",
      "user.account",
    ],
  },
  "legal.compliance": { subjects: ["customers (contacts)", "support staff (agents)"], categories: ["user.consent", "system.operations"] },
  analytics: { subjects: ["customers (contacts)"], categories: ["user.content.message"] },
  // The local AI provider, while the tenant has AI assistance on (aiActive below).
  "ai.assistance": { subjects: ["customers (contacts)"], categories: ["user.content.message"] },
  "sms.messaging": { subjects: [], categories: [] },
  // Only with a billing plugin in use for this tenant (billingProcessors below).
  billing: { subjects: ["the tenant's staff named in its billing details"], categories: [] },
  marketing: { subjects: [], categories: [] },
};

const SECURITY_MEASURES = [
  "Tenant isolation enforced in one place for every query; another tenant's records behave as missing",
  "Field-level authorization by role and API-key scope",
  "Passwords hashed with Argon2id; session tokens and API keys stored as SHA-256 digests",
  "Plugin secrets encrypted at rest with AES-256-GCM, write-only in the API, with key rotation",
  "Attachment files encrypted with AES-256-GCM under a key per tenant before they reach the file storage, which holds ciphertext only",
  "Append-only, hash-chained audit log of mutations, personal-data reads, data-subject requests and plugin calls",
  "Every call to an external service passes one gateway that checks enablement, region, consent and restriction, and logs it without payload",
  "With attachment scanning required, files served only once a malware scanner found them clean",
  "Rate-limited sign-in; unexpected errors masked to clients",
];

export interface ProcessorEntry {
  name: string;
  vendor: string;
  country: string;
  processingLocations: string[];
  transferMechanism: string;
  purposes: string[];
  dataCategories: string[];
  retention: string;
  dpaUrl: string | null;
  enabledSince: string | null;
  /** Whether it trains models on what it receives; null: it processes for no AI purpose. */
  trainsOnCustomerData: boolean | null;
}

export interface RecordOfProcessing {
  generatedAt: string;
  controller: { name: string; slug: string; dataResidency: string };
  activities: {
    purpose: string;
    description: string;
    legalBasis: string;
    dataSubjectCanObject: boolean;
    dataSubjects: string[];
    dataCategories: { name: string; description: string }[];
    recipients: string[];
    transfers: { recipient: string; countries: string[]; safeguard: string }[];
    retention: string[];
  }[];
  processors: ProcessorEntry[];
  securityMeasures: string[];
}

const retentionText = (m: PluginManifest) => {
  switch (m.retention.kind) {
    case "TRANSIENT":
      return "transient (not stored by the vendor)";
    case "AS_SOURCE":
      return "as long as the source data in the helpdesk (a copy kept in sync)";
    case "TENANT_ACCOUNT":
      return "as long as the tenant keeps it in its own account at the provider";
    case "DAYS":
      return `${m.retention.days} days at the vendor`;
  }
};

function subprocessorEntry(m: PluginManifest, enabledSince: Date | null): ProcessorEntry {
  return {
    name: m.name,
    vendor: m.vendor.legalName,
    country: m.vendor.country,
    processingLocations: m.processingLocations,
    transferMechanism: m.transferMechanism,
    purposes: m.purposes.map((p) => p.purpose),
    dataCategories: m.dataCategories,
    retention: retentionText(m),
    dpaUrl: m.dpaUrl,
    enabledSince: enabledSince?.toISOString() ?? null,
    trainsOnCustomerData: m.trainsOnCustomerData ?? null,
  };
}

/** A plugin processing the tenant's data, and since when (null: operator-wide, for as long as the operator configured it). */
interface InUse {
  manifest: PluginManifest;
  since: Date | null;
}

/** The plugins a tenant has enabled. */
async function enabledPlugins(database: Database, registry: PluginRegistry, tenantId: string): Promise<InUse[]> {
  const installs = await database.forTenant(tenantId).pluginInstall.findMany({ where: { enabled: true }, orderBy: { pluginId: "asc" } });
  return installs.flatMap((i) => {
    const def = registry.get(i.pluginId);
    return def ? [{ manifest: def.manifest, since: i.acceptedAt ?? i.updatedAt }] : [];
  });
}

/**
 * The operator's file storage (an S3 bucket) when a plugin provides it: it
 * holds the attachment files of every tenant, so it is in every tenant's
 * record and public subprocessor list, whatever the tenant enabled.
 */
function fileStorage(database: Database, registry: PluginRegistry): InUse[] {
  const def = database.blobPlugin ? registry.get(database.blobPlugin) : undefined;
  return def ? [{ manifest: def.manifest, since: null }] : [];
}

/** The public subprocessor list: the plugins the tenant enabled and the operator's file storage, all of which receive its contacts' data. */
export async function subprocessorsOf(database: Database, registry: PluginRegistry, tenantId: string): Promise<ProcessorEntry[]> {
  return [...(await enabledPlugins(database, registry, tenantId)), ...fileStorage(database, registry)].map((p) =>
    subprocessorEntry(p.manifest, p.since),
  );
}

/**
 * Operator billing plugins that process this tenant's data: Stripe once the
 * tenant has a Stripe customer. They are in the record of processing, not in
 * the public subprocessor list, which is about the tenant's contacts' data:
 * billing never sends any of it.
 */
async function billingProcessors(database: Database, registry: PluginRegistry, tenantId: string): Promise<InUse[]> {
  const billed = await database.forTenant(tenantId).billingAccount.findFirst({ where: { customerId: { not: null } } });
  if (!billed) return [];
  return registry
    .list()
    .filter((d) => d.manifest.operatorManaged && d.provides?.billingProvider)
    .map((d) => ({ manifest: d.manifest, since: billed.createdAt }));
}

/**
 * The operator's malware scanner (ClamAV) once it scanned a file of this
 * tenant (its calls are in the tenant's plugin call log). In the record of
 * processing, not in the public subprocessor list: it runs on the operator's
 * own servers.
 */
async function scannerProcessors(database: Database, registry: PluginRegistry, tenantId: string): Promise<InUse[]> {
  const db = database.forTenant(tenantId);
  const scanners = await Promise.all(
    registry
      .list()
      .filter((d) => d.manifest.operatorManaged && d.provides?.operatorAttachmentScanner)
      .map(async (d) => {
        const first = await db.pluginCall.findFirst({ where: { pluginId: d.manifest.id }, orderBy: { at: "asc" }, select: { at: true } });
        return first ? [{ manifest: d.manifest, since: first.at }] : [];
      }),
  );
  return scanners.flat();
}

/** GDPR art. 30, generated from the taxonomy, the core's own processing, the enabled plugins and the retention rules. */
export async function buildRecordOfProcessing(
  database: Database,
  registry: PluginRegistry,
  tenantId: string,
  deployment: "embedded" | "server",
): Promise<RecordOfProcessing> {
  const db = database.forTenant(tenantId);
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: tenantId } });
  const plugins = [
    ...(await enabledPlugins(database, registry, tenantId)),
    ...fileStorage(database, registry),
    ...(await billingProcessors(database, registry, tenantId)),
    ...(await scannerProcessors(database, registry, tenantId)),
  ];
  const rules = await db.retentionRule.findMany({ orderBy: { target: "asc" } });
  // The local AI provider processes in this process unless the tenant turned AI assistance off.
  const aiActive = (await db.aiSettings.findFirst({ select: { enabled: true } }))?.enabled ?? true;

  const activities = (Object.keys(PURPOSES) as PurposeName[]).flatMap((purpose) => {
    const using = plugins.filter((p) => p.manifest.purposes.some((x) => x.purpose === purpose));
    const core = purpose === "ai.assistance" && !aiActive ? { subjects: [], categories: [] } : CORE[purpose];
    if (!core.categories.length && !using.length) return [];
    const categories = [...new Set([...core.categories, ...using.flatMap((p) => p.manifest.dataCategories)])].sort() as DataCategory[];
    return [
      {
        purpose,
        description: PURPOSES[purpose].description,
        legalBasis: PURPOSES[purpose].legalBasis,
        dataSubjectCanObject: PURPOSES[purpose].objectable,
        dataSubjects: core.subjects.length ? core.subjects : ["customers (contacts)"],
        dataCategories: categories.map((name) => ({ name, description: DATA_CATEGORIES[name] })),
        recipients: [
          `${tenant.name} (controller) and its support staff`,
          ...using.map((p) => `${p.manifest.vendor.legalName} (${p.manifest.name})`),
        ],
        transfers: using
          .filter((p) => transfersOutsideEea(p.manifest).length)
          .map((p) => ({
            recipient: p.manifest.vendor.legalName,
            countries: transfersOutsideEea(p.manifest),
            safeguard: p.manifest.transferMechanism,
          })),
        retention: rules.length
          ? rules.map((r) => `${r.target}: ${r.action.toLowerCase()} after ${r.keepDays} days`)
          : ["Kept until erased on request or by the tenant's retention rules (none configured)"],
      },
    ];
  });

  const coreComponents: ProcessorEntry[] = [
    {
      name: deployment === "embedded" ? "Embedded PostgreSQL database" : "PostgreSQL database",
      vendor: `${tenant.name} (operated by the controller or its hosting provider)`,
      country: "where this deployment runs",
      processingLocations: [],
      transferMechanism: "EEA",
      purposes: Object.keys(CORE).filter((p) => CORE[p as PurposeName].categories.length),
      dataCategories: Object.keys(DATA_CATEGORIES).filter((c) => c !== "user.payment" && c !== "user.device.ip"),
      retention: "per the retention rules above",
      dpaUrl: null,
      enabledSince: null,
      trainsOnCustomerData: null,
    },
    {
      name: "Backups",
      vendor: "as configured by the operator",
      country: "where the operator stores them",
      processingLocations: [],
      transferMechanism: "EEA",
      purposes: ["support", "legal.compliance"],
      dataCategories: ["all categories held in the database"],
      retention: "the operator's backup rotation; erased data disappears when the last backup holding it expires",
      dpaUrl: null,
      enabledSince: null,
      trainsOnCustomerData: null,
    },
    {
      name: "Application logs",
      vendor: "as configured by the operator",
      country: "where this deployment runs",
      processingLocations: [],
      transferMechanism: "EEA",
      purposes: ["legal.compliance"],
      dataCategories: ["system.operations"],
      retention: "the operator's log rotation; logs carry ids, never credentials or message content",
      dpaUrl: null,
      enabledSince: null,
      trainsOnCustomerData: null,
    },
    ...(aiActive
      ? [
          {
            name: "Local AI provider (in this process)",
            vendor: `${tenant.name} (operated by the controller or its hosting provider)`,
            country: "where this deployment runs",
            processingLocations: [],
            transferMechanism: "EEA",
            purposes: ["ai.assistance"],
            dataCategories: ["user.content.message"],
            retention:
              "models trained on this tenant's tickets only, never shared across tenants, held in memory; trained again without a person's data after their objection, restriction or erasure",
            dpaUrl: null,
            enabledSince: null,
            trainsOnCustomerData: true,
          },
        ]
      : []),
  ];

  return {
    generatedAt: new Date().toISOString(),
    controller: { name: tenant.name, slug: tenant.slug, dataResidency: tenant.dataResidency },
    activities,
    processors: [...coreComponents, ...plugins.map((p) => subprocessorEntry(p.manifest, p.since))],
    securityMeasures: SECURITY_MEASURES,
  };
}

const cell = (v: string | string[]) => (Array.isArray(v) ? v.join(", ") : v).replace(/\|/g, "\\|") || "—";

export function renderMarkdown(r: RecordOfProcessing): string {
  const lines = [
    `# Record of processing activities — ${r.controller.name}`,
    "",
    `Generated ${r.generatedAt}. Controller: ${r.controller.name} (\`${r.controller.slug}\`), data residency ${r.controller.dataResidency}.`,
    "",
    "## Processing activities",
    "",
    "| purpose | legal basis | can object | data subjects | categories | recipients | transfers outside the EEA | retention |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.activities.map(
      (a) =>
        `| ${cell(`${a.purpose}: ${a.description}`)} | ${a.legalBasis} | ${a.dataSubjectCanObject ? "yes" : "no"} | ${cell(a.dataSubjects)} | ${cell(
          a.dataCategories.map((c) => c.name),
        )} | ${cell(a.recipients)} | ${cell(a.transfers.map((t) => `${t.recipient}: ${t.countries.join(", ")} (${t.safeguard})`))} | ${cell(a.retention)} |`,
    ),
    "",
    "## Processors and subprocessors",
    "",
    "| name | vendor | country | processing locations | transfer mechanism | categories | retention | trains models on the data | DPA |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.processors.map(
      (p) =>
        `| ${cell(p.name)} | ${cell(p.vendor)} | ${cell(p.country)} | ${cell(p.processingLocations)} | ${p.transferMechanism} | ${cell(p.dataCategories)} | ${cell(
          p.retention,
        )} | ${p.trainsOnCustomerData === null ? "—" : p.trainsOnCustomerData ? "yes" : "no"} | ${p.dpaUrl ?? "—"} |`,
    ),
    "",
    "## Security measures",
    "",
    ...r.securityMeasures.map((m) => `- ${m}`),
    "",
  ];
  return lines.join("\n");
}
