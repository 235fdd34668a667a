import DataLoader from "dataloader";
import { z } from "zod";
import { recordAudit } from "../../audit/service.js";
import { Contact } from "../../contacts/schema.js";
import { builder } from "../../graphql/builder.js";
import type { Context } from "../../context.js";
import { validationError } from "../../errors.js";
import { emailSchema, localeSchema, nameSchema, phoneSchema } from "../../validation.js";
import { personal } from "../labels.js";
import { ActorType } from "../../audit/schema.js";
import { completeRequest } from "./complete.js";
import { requireViewer } from "../../context.js";
import { scanForIdentifiers, hasIdentifiers } from "./scan.js";
import * as requests from "./service.js";
import { signedExportUrl } from "./signed-url.js";
import { publicBase } from "../../http/public-base.js";

const DataSubjectRequestType = builder.enumType("DataSubjectRequestType", {
  description: "The rights of GDPR art. 15–21 a person can exercise.",
  values: {
    ACCESS: { description: "Art. 15: a copy of their data (a signed download link to a ZIP archive: personal-data.json and their files)" },
    RECTIFICATION: { description: "Art. 16: correct their name, email, phone or language" },
    ERASURE: { description: "Art. 17: erase their personal data; the contact stays as an anonymous shell" },
    RESTRICTION: { description: "Art. 18: keep the data but stop processing it" },
    PORTABILITY: { description: "Art. 20: their data in a machine-readable format (the same archive)" },
    OBJECTION: { description: "Art. 21: object to processing based on legitimate interest, per purpose" },
    CONSENT_WITHDRAWAL: { description: "Art. 7(3): withdraw consent, per purpose" },
  } as const,
});

const DataSubjectRequestStatus = builder.enumType("DataSubjectRequestStatus", {
  values: {
    AWAITING_VERIFICATION: {
      description:
        "Filed with requireVerification: not acted on until the person follows the link emailed to them (single-use, valid 7 days); then RECEIVED",
    },
    RECEIVED: { description: "Open: to be handled by dueAt" },
    COMPLETED: { description: "Carried out; the receipt says what was done" },
    REFUSED: { description: "Refused; refusalReason says why" },
  } as const,
});

// ---- the export link ----

interface ExportRow {
  id: string;
  requestId: string;
  createdAt: Date;
  expiresAt: Date;
  downloadedAt: Date | null;
}

const DataExportLink = builder.objectRef<ExportRow>("DataExportLink").implement({
  description:
    "The export made for an ACCESS or PORTABILITY request. The URL is the credential: no Authorization header is needed to download.",
  fields: (t) => ({
    url: t.string({
      nullable: true,
      description:
        "GET it for the export, a ZIP archive with personal-data.json and the files: /exports/<id>?expires=<unix>&signature=<hex> (HMAC-SHA256). Null once expired. Treat it like a password.",
      resolve: (e, _a, ctx) =>
        e.expiresAt > new Date() ? signedExportUrl(publicBase(ctx), ctx.config.encryptionKey, e.id, e.expiresAt) : null,
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    expired: t.boolean({ resolve: (e) => e.expiresAt <= new Date() }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    downloadedAt: t.expose("downloadedAt", { type: "DateTime", nullable: true, description: "The latest download" }),
  }),
});

const exportLoaders = new WeakMap<Context, DataLoader<string, ExportRow | null>>();

/** The newest export of each request, batched per request, without the (large) content. */
function exportLoader(ctx: Context) {
  let loader = exportLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const rows = await ctx.db.dataExport.findMany({
        where: { requestId: { in: [...ids] } },
        select: { id: true, requestId: true, createdAt: true, expiresAt: true, downloadedAt: true },
        orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      });
      return ids.map((id) => rows.find((r) => r.requestId === id) ?? null);
    });
    exportLoaders.set(ctx, loader);
  }
  return loader;
}

// ---- the request ----

const DataSubjectRequest = builder.prismaNode("DataSubjectRequest", {
  id: { field: "id" },
  description:
    "A person exercising a GDPR right. Due one calendar month after receipt, extendable once by two months (art. 12(3)). " +
    "Every step is in the audit log (dsr.filed, dsr.extended, dsr.refused, dsr.completed, dsr.export.downloaded).",
  authScopes: { anyPermission: ["privacy:manage", "portal:self"] },
  fields: (t) => ({
    type: t.expose("type", { type: DataSubjectRequestType }),
    status: t.expose("status", { type: DataSubjectRequestStatus }),
    contact: t.relation("contact", { description: "The data subject" }),
    receivedAt: t.expose("receivedAt", { type: "DateTime" }),
    dueAt: t.expose("dueAt", { type: "DateTime" }),
    overdue: t.boolean({ description: "Still open after dueAt", resolve: (r) => r.status === "RECEIVED" && r.dueAt < new Date() }),
    extended: t.boolean({ resolve: (r) => r.extensionReason !== null }),
    extensionReason: t.exposeString("extensionReason", {
      nullable: true,
      description: "Why the deadline was extended; the person is told",
    }),
    refusalReason: t.exposeString("refusalReason", { nullable: true, description: "Why the request was refused; the person is told" }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true, description: "When it was completed or refused" }),
    verificationExpiresAt: t.expose("verificationExpiresAt", {
      type: "DateTime",
      nullable: true,
      description: "Filed with verification: until when the emailed link works",
    }),
    verifiedAt: t.expose("verifiedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the person confirmed the request by the emailed link; dueAt counts from then",
    }),
    details: t.field({
      type: "JSON",
      nullable: true,
      description: "What was asked: { purposes } for OBJECTION and CONSENT_WITHDRAWAL, { corrections } for RECTIFICATION",
      ...personal("user.consent"),
      resolve: (r) => r.details,
    }),
    receipt: t.field({
      type: "JSON",
      nullable: true,
      description: "What was done, store by store, with counts; for ERASURE also the verification scan. Never holds personal data.",
      resolve: (r) => r.receipt,
    }),
    filedByType: t.expose("filedByType", { type: ActorType }),
    filedById: t.exposeString("filedById", { nullable: true, description: "Who filed it, by id" }),
    export: t.field({
      type: DataExportLink,
      nullable: true,
      description: "ACCESS and PORTABILITY: the export and its signed download link, once completed",
      resolve: (r, _a, ctx) => (r.type === "ACCESS" || r.type === "PORTABILITY" ? exportLoader(ctx).load(r.id) : null),
    }),
  }),
});

builder.prismaObjectFields("Contact", (t) => ({
  dataSubjectRequests: t.relatedConnection("requests", {
    cursor: "id",
    totalCount: true,
    nullable: true,
    description: "The requests this person made, newest first.",
    authScopes: { anyPermission: ["privacy:manage", "portal:self"] },
    query: { orderBy: [{ receivedAt: "desc" }, { id: "asc" }] },
  }),
}));

// ---- queries ----

const DataSubjectRequestFilter = builder.inputType("DataSubjectRequestFilter", {
  description: "All given conditions must hold.",
  fields: (t) => ({
    status: t.field({ type: DataSubjectRequestStatus }),
    type: t.field({ type: DataSubjectRequestType }),
    contactId: t.globalID({ for: Contact }),
    overdue: t.boolean({ description: "true: open and past dueAt; false: everything else" }),
  }),
});

builder.queryField("dataSubjectRequests", (t) =>
  t.prismaConnection({
    type: "DataSubjectRequest",
    cursor: "id",
    description: "The tenant's data-subject requests, newest first.",
    authScopes: { permission: "privacy:manage" },
    args: { filter: t.arg({ type: DataSubjectRequestFilter }) },
    totalCount: (_p, args, ctx) => ctx.db.dataSubjectRequest.count({ where: requests.requestWhere(filterArgs(args.filter)) }),
    resolve: (query, _p, args, ctx) =>
      ctx.db.dataSubjectRequest.findMany({
        ...query,
        where: requests.requestWhere(filterArgs(args.filter)),
        orderBy: [{ receivedAt: "desc" }, { id: "asc" }],
      }),
  }),
);

const filterArgs = (f: ({ contactId?: { id: string } | null } & Omit<requests.RequestFilter, "contactId">) | null | undefined) =>
  f ? { ...f, contactId: f.contactId?.id } : null;

const StoreMatches = builder.objectRef<{ store: string; matches: number }>("StoreMatches").implement({
  fields: (t) => ({
    store: t.exposeString("store", { description: "Model, or Model.column" }),
    matches: t.exposeInt("matches", { description: "Rows in which one of the identifiers appears" }),
  }),
});
const PersonalDataScan = builder
  .objectRef<{ stores: { store: string; matches: number }[]; total: number; unsearchable: number }>("PersonalDataScan")
  .implement({
    description: "Where identifiers still appear. Counts only: the scan never returns what it found.",
    fields: (t) => ({
      stores: t.field({ type: [StoreMatches], resolve: (s) => s.stores }),
      total: t.exposeInt("total"),
      unsearchable: t.exposeInt("unsearchable", {
        description:
          "Attachments that could not be searched (not text, such as PDFs and images): they may hold the identifiers; not counted in total",
      }),
    }),
  });

builder.queryField("personalDataScan", (t) =>
  t.field({
    type: PersonalDataScan,
    description:
      "Looks for the identifiers you give in contacts, ticket subjects, message bodies, attachment file names, the contents of text attachments " +
      "and request details, e.g. to check an erasure long after. The name matches as a whole word in any case, the email in any case, the phone " +
      "number in any spelling of the same number (+31 6 1234 5678, 06-12345678, 0031612345678; national spellings in the region of the number given). " +
      "The identifiers are not stored, not even in the audit log.",
    authScopes: { permission: "privacy:manage" },
    args: {
      email: t.arg.string({ validate: emailSchema }),
      phone: t.arg.string({ validate: phoneSchema }),
      name: t.arg.string({ validate: nameSchema }),
    },
    resolve: async (_r, args, ctx) => {
      if (!hasIdentifiers(args)) throw validationError([{ path: ["email"], message: "give an email, a phone number or a name" }]);
      const result = await scanForIdentifiers(ctx.db, requireViewer(ctx).tenantId, args);
      await recordAudit(ctx, {
        action: "privacy.scan",
        details: { given: (["email", "phone", "name"] as const).filter((k) => args[k]), total: result.total },
      });
      return result;
    },
  }),
);

// ---- mutations ----

const CorrectionsInput = builder.inputType("DataSubjectCorrectionsInput", {
  description: "The corrected values (art. 16); omitted fields stay as they are.",
  fields: (t) => ({
    name: t.string({ validate: nameSchema }),
    email: t.string({ validate: emailSchema }),
    phone: t.string({ validate: phoneSchema, description: "Any international notation; stored as E.164" }),
    locale: t.string({ validate: localeSchema }),
  }),
});

const FileInput = builder.inputType("FileDataSubjectRequestInput", {
  fields: (t) => ({
    contactId: t.globalID({ for: Contact, description: "Required for staff; a contact on the portal files for themselves" }),
    type: t.field({ type: DataSubjectRequestType, required: true }),
    purposes: t.stringList({
      description: "OBJECTION: legitimate-interest purposes; CONSENT_WITHDRAWAL: consent purposes (see processingPurposes)",
      validate: z.array(z.string().min(1).max(64)).max(20),
    }),
    corrections: t.field({ type: CorrectionsInput, description: "RECTIFICATION only" }),
    requireVerification: t.boolean({
      description:
        "Staff only: the request waits (AWAITING_VERIFICATION) until the person follows a link emailed to their address, single-use and valid 7 days; it needs their email address and a connected mailbox (VALIDATION otherwise)",
    }),
  }),
});

const reason = z.string().trim().min(1, "a reason is required").max(1000);

builder.mutationField("fileDataSubjectRequest", (t) =>
  t.prismaField({
    type: "DataSubjectRequest",
    description:
      "Records a request, due in one calendar month. Staff file for a contact; a contact on the portal for themselves. " +
      "A second open request of the same type for the same person is CONFLICT. The person gets a receipt by email (DSR_RECEIPT), " +
      "or with requireVerification the link to confirm it (DSR_VERIFICATION) and the receipt once confirmed.",
    authScopes: { anyPermission: ["privacy:manage", "portal:self"] },
    args: { input: t.arg({ type: FileInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await requests.fileRequest(ctx, { ...input, contactId: input.contactId?.id });
      return ctx.db.dataSubjectRequest.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("extendDataSubjectRequest", (t) =>
  t.prismaField({
    type: "DataSubjectRequest",
    description: "Extends the deadline by two further months (art. 12(3)), once, with the reason the person will be told.",
    authScopes: { permission: "privacy:manage" },
    args: { id: t.arg.globalID({ required: true, for: DataSubjectRequest }), reason: t.arg.string({ required: true, validate: reason }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await requests.extendRequest(ctx, args.id.id, args.reason);
      return ctx.db.dataSubjectRequest.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("refuseDataSubjectRequest", (t) =>
  t.prismaField({
    type: "DataSubjectRequest",
    description:
      "Refuses an open request, e.g. manifestly unfounded or excessive (art. 12(5)), with the reason the person will be told (by email, DSR_COMPLETED, once the request was confirmed). A request awaiting verification can be refused too.",
    authScopes: { permission: "privacy:manage" },
    args: { id: t.arg.globalID({ required: true, for: DataSubjectRequest }), reason: t.arg.string({ required: true, validate: reason }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await requests.refuseRequest(ctx, args.id.id, args.reason);
      return ctx.db.dataSubjectRequest.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("completeDataSubjectRequest", (t) =>
  t.prismaField({
    type: "DataSubjectRequest",
    description:
      "Carries the request out and closes it with a receipt. ACCESS, PORTABILITY: builds the export (see export.url). RECTIFICATION: applies the corrections. " +
      "ERASURE: erases the person's data (LEGAL_HOLD while a hold is in place) and verifies nothing is left. RESTRICTION: restricts processing. " +
      "OBJECTION, CONSENT_WITHDRAWAL: records them for each purpose. VERIFICATION_REQUIRED while the person has not confirmed it. " +
      "The person is told by email (DSR_COMPLETED), except after an erasure: the address went with it.",
    authScopes: { permission: "privacy:manage" },
    args: { id: t.arg.globalID({ required: true, for: DataSubjectRequest }) },
    resolve: async (query, _r, args, ctx) => {
      await completeRequest(ctx, args.id.id);
      return ctx.db.dataSubjectRequest.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
);
