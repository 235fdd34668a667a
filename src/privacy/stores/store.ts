import type { ScanningConfig } from "../../config.js";
import type { TenantClient } from "../../db/tenant-scope.js";
import type { Tx } from "../../db/tx.js";
import type { Prisma } from "../../generated/prisma/client.js";
import type { TargetName } from "../../retention/targets.js";
import type { PurposeState } from "../consent.js";
import type { Identifiers, Matcher } from "../requests/identifiers.js";
import type { ExportWriter } from "../requests/export-writer.js";
import type { DataCategory } from "../taxonomy.js";

/**
 * One place where a contact's personal data is stored (a Prisma model), and
 * everything the privacy features need to know about it: which columns hold
 * what, whose rows they are, what the contact sees on the portal, and how the
 * rows are exported, erased, scanned for leftovers and retained. Erasure,
 * export, the scan, the portal scope, the audit's subjects and retention read
 * this registry (./index.ts) instead of keeping lists of their own.
 */
export interface PersonalDataStore {
  model: Prisma.ModelName;
  /** Every data category its rows hold: the categories of its `@personal` columns. */
  categories: DataCategory[];
  /** Its `@personal` columns, each with the receipt line that says how erasure handles it and the scan that finds leftovers. */
  columns: Record<string, ColumnHandling>;
  /** The rows about one contact. */
  rowsOf(contactId: string): object;
  /**
   * Whose personal data a row is, for the GraphQL type that exposes the model (audit of reads,
   * consent checks). `of` reads `columns` only: a type whose objects load only the columns a
   * query asks for (a Pothos `select`) must always load these.
   */
  subject?: { graphqlType: string; columns: string[]; of(row: Record<string, unknown>): string | null | undefined };
  /** What a contact signed in through the portal may see of it (a Prisma where); null: nothing. */
  portal: ((contactId: string) => object) | null;
  export: StoreExport | { omitted: string };
  erasure: StoreErasure;
  /** Leftover checks after an erasure, and personalDataScan. */
  scan: ScanPart[];
  retention: { target: TargetName } | { none: string };
}

type ColumnHandling = {
  /** The receipt line (in `erasure.lines`) that covers the column. */
  erasedBy: string;
} & ({ scannedAs: string } | { notScanned: string });

// ---- export ----

interface ExportRun {
  db: TenantClient;
  contactId: string;
  out: ExportWriter;
  /** Where each purpose stands for the person: the header lists it too. */
  consentStates: PurposeState[];
  /** Whether files must be found clean before they leave the server (the export is one way out). */
  scanning: ScanningConfig["mode"];
}

export interface StoreExport {
  /** Its key in the export's JSON. */
  key: string;
  /** What it holds, in the person's words: the export's `about.categories`. */
  about: string;
  /** The keys it fills in the receipt's `counts`. */
  counts: string[];
  write(run: ExportRun): Promise<void>;
}

// ---- erasure ----

/**
 * When a step runs. Credentials and copies go first (nobody can act as the
 * person or download their data meanwhile); then what the person wrote; then
 * what others wrote about them. The contact is anonymised last (`final`).
 */
export const ERASURE_PHASES = ["credentials", "own", "mentions"] as const;
type ErasurePhase = (typeof ERASURE_PHASES)[number];

export interface ErasureRun {
  db: TenantClient;
  tenantId: string;
  contactId: string;
  /** The person's identifiers, held in memory for this run only; empty when the contact had been erased before. */
  ids: Identifiers;
  alreadyErased: boolean;
  batch: number;
  now: Date;
  /** Each file the erasure deleted or redacted, for the receipt (steps append to it). */
  files: ErasedFile[];
}

/** A file in the receipt: named by global IDs (never by its name, which may name the person). */
export interface ErasedFile {
  attachmentId: string;
  ticketId: string;
  contentType: string;
  action: "deleted" | "redacted";
  why: string;
}

/** Rows handled, by receipt line. */
export type LineCounts = Record<string, number>;

interface ReceiptLine {
  /** Its name in the receipt's `stores`: the model, or Model.column. */
  store: string;
  action: string;
  note?: string;
  /** Its key in the receipt's `counts`, which say what erasure changed; kept rows have none. */
  countsAs?: string;
}

interface StoreErasure {
  lines: ReceiptLine[];
  /** Work in batches, each in a transaction of its own, by condition, so that running again finishes the job. */
  steps: { phase: ErasurePhase; run(e: ErasureRun): Promise<LineCounts> }[];
  /**
   * In the commit that anonymises the contact. `erasedBefore`: the contact was
   * already a shell when that commit began.
   */
  final?(tx: Tx, e: ErasureRun & { erasedBefore: boolean }): Promise<LineCounts>;
  /** After the verification scan: what was kept, and what nobody could verify. */
  report?(e: ErasureRun, scan: { unsearchable: number }): Promise<LineCounts>;
}

// ---- scan ----

export interface ScanRun {
  db: TenantClient;
  tenantId: string;
  ids: Identifiers;
  matcher: Matcher;
  /** After an erasure: the name is looked for on this contact's row only (others with the name are namesakes). */
  nameOnlyOn?: string;
}

interface ScanPart {
  /** Its name in the scan's `stores`: the model, or Model.column. */
  store: string;
  /** Rows in which an identifier appears; `unsearchable`: rows that cannot be searched at all. */
  count(run: ScanRun): Promise<{ matches: number; unsearchable?: number }>;
}
