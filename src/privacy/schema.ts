import { z } from "zod";
import { ActorType } from "../audit/schema.js";
import { Contact } from "../contacts/schema.js";
import { AppError } from "../errors.js";
import { builder } from "../graphql/builder.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { ConsentAction as Action } from "../generated/prisma/enums.js";
import { decide, recordConsent, statesOf } from "./consent.js";
import { personal, personalWithConsent } from "./labels.js";
import * as restriction from "./restriction.js";
import { DATA_CATEGORIES, PURPOSES, type PurposeName } from "./taxonomy.js";

const LegalBasis = builder.enumType("LegalBasis", {
  description: "GDPR art. 6(1)",
  values: ["CONTRACT", "LEGAL_OBLIGATION", "LEGITIMATE_INTEREST", "CONSENT"] as const,
});
const ConsentAction = builder.enumType("ConsentAction", { values: ["GRANTED", "WITHDRAWN", "OBJECTED", "OBJECTION_LIFTED"] as const });
const ConsentMethod = builder.enumType("ConsentMethod", {
  description: "How the data subject expressed it",
  values: {
    API: { description: "Recorded over the API by staff or an integration" },
    PORTAL: { description: "By the person on the customer portal" },
    SMS_KEYWORD: { description: "By texting a keyword such as STOP or START" },
    EMAIL_LINK: { description: "By following a link in an email" },
    INBOUND_SMS: { description: "By texting in first: the person asked to be answered by SMS" },
  } as const,
});
const ConsentStatus = builder.enumType("ConsentStatus", {
  values: {
    GRANTED: { description: "Consent given and not withdrawn" },
    WITHDRAWN: { description: "Consent withdrawn" },
    NOT_GIVEN: { description: "Consent never asked or given" },
    OBJECTED: { description: "The person objected (art. 21)" },
    NOT_OBJECTED: { description: "Legitimate interest; no objection recorded" },
    NOT_REQUIRED: { description: "Necessary for the contract or a legal obligation" },
  },
});

const DataCategory = builder.objectRef<{ name: string; description: string }>("DataCategory").implement({
  fields: (t) => ({ name: t.exposeString("name"), description: t.exposeString("description") }),
});
const ProcessingPurpose = builder.objectRef<{ name: PurposeName }>("ProcessingPurpose").implement({
  description: "Why personal data is processed, on which legal basis, and whether the person can stop it.",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.string({ resolve: (p) => PURPOSES[p.name].description }),
    legalBasis: t.field({ type: LegalBasis, resolve: (p) => PURPOSES[p.name].legalBasis }),
    objectable: t.boolean({
      description: "The person can withdraw consent (basis CONSENT) or object (LEGITIMATE_INTEREST)",
      resolve: (p) => PURPOSES[p.name].objectable,
    }),
  }),
});

builder.queryField("dataCategories", (t) =>
  t.field({
    type: [DataCategory],
    description: "The personal-data categories used by @personalData labels, retention rules and the record of processing.",
    authScopes: { authenticated: true },
    resolve: () => Object.entries(DATA_CATEGORIES).map(([name, description]) => ({ name, description })),
  }),
);
builder.queryField("processingPurposes", (t) =>
  t.field({
    type: [ProcessingPurpose],
    description: "The purposes used by @consent labels and consent records.",
    authScopes: { authenticated: true },
    resolve: () => (Object.keys(PURPOSES) as PurposeName[]).map((name) => ({ name })),
  }),
);

builder.prismaNode("ConsentEvent", {
  name: "ConsentRecord",
  id: { field: "id" },
  description: "One entry of a person's append-only consent history: the proof of consent (GDPR art. 7(1)).",
  authScopes: { anyPermission: ["contacts:read", "portal:self"] },
  fields: (t) => ({
    purpose: t.exposeString("purpose", personal("user.consent")),
    action: t.expose("action", { type: ConsentAction, ...personal("user.consent") }),
    method: t.expose("method", { type: ConsentMethod, ...personal("user.consent") }),
    policyVersion: t.exposeString("policyVersion", { nullable: true, ...personal("user.consent") }),
    actorType: t.expose("actorType", { type: ActorType }),
    actorId: t.exposeString("actorId", { nullable: true, description: "Who recorded it, by id" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

interface PurposeConsentShape {
  purpose: PurposeName;
  status: "GRANTED" | "WITHDRAWN" | "NOT_GIVEN" | "OBJECTED" | "NOT_OBJECTED" | "NOT_REQUIRED";
  allowed: boolean;
  sinceId: string | null;
}
const PurposeConsent = builder.objectRef<PurposeConsentShape>("PurposeConsent").implement({
  description: "Where one purpose stands for one person, derived from their consent history.",
  fields: (t) => ({
    purpose: t.exposeString("purpose"),
    status: t.field({ type: ConsentStatus, resolve: (c) => c.status }),
    allowed: t.exposeBoolean("allowed", { description: "Processing for this purpose may happen now (false too while restricted)" }),
    since: t.prismaField({
      type: "ConsentEvent",
      nullable: true,
      resolve: (query, c, _a, ctx) => (c.sinceId ? ctx.db.consentEvent.findUnique({ ...query, where: { id: c.sinceId } }) : null),
    }),
  }),
});

const SupportSummary = builder
  .objectRef<{ ticketCount: number; openTicketCount: number; firstContactAt: Date | null; lastContactAt: Date | null }>("SupportSummary")
  .implement({
    fields: (t) => ({
      ticketCount: t.exposeInt("ticketCount"),
      openTicketCount: t.exposeInt("openTicketCount"),
      firstContactAt: t.expose("firstContactAt", { type: "DateTime", nullable: true }),
      lastContactAt: t.expose("lastContactAt", { type: "DateTime", nullable: true }),
    }),
  });

builder.prismaObjectFields("Contact", (t) => ({
  consents: t.field({
    type: [PurposeConsent],
    description: "The current state of every processing purpose for this person.",
    authScopes: { anyPermission: ["contacts:read", "portal:self"] },
    ...personal("user.consent"),
    select: { restrictedAt: true },
    resolve: async (contact, _a, ctx) =>
      (await statesOf(ctx.db, contact.id)).map((s) => ({
        purpose: s.purpose,
        status: s.status,
        allowed: decide(contact, s) === "ALLOWED",
        sinceId: s.since?.id ?? null,
      })),
  }),
  consentHistory: t.relatedConnection("consentEvents", {
    cursor: "id",
    totalCount: true,
    description: "Every consent and objection ever recorded, oldest first. Append-only.",
    authScopes: { anyPermission: ["contacts:read", "portal:self"] },
    ...personal("user.consent"),
    query: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
  }),
  restricted: t.boolean({
    description: "Processing is restricted (GDPR art. 18): the data is kept, nothing else happens to it.",
    ...personal("user.consent"),
    select: { restrictedAt: true },
    resolve: (c) => c.restrictedAt !== null,
  }),
  restrictedAt: t.expose("restrictedAt", { type: "DateTime", nullable: true, ...personal("user.consent") }),
  restrictionReason: t.exposeString("restrictionReason", {
    nullable: true,
    authScopes: { anyPermission: ["privacy:manage", "portal:self"] },
    ...personal("user.consent"),
  }),
  legalHold: t.boolean({
    description: "A legal hold blocks erasure and retention deletes.",
    authScopes: { anyPermission: ["privacy:manage", "contacts:read"] },
    select: { legalHoldAt: true },
    resolve: (c) => c.legalHoldAt !== null,
  }),
  legalHoldReason: t.exposeString("legalHoldReason", { nullable: true, authScopes: { permission: "privacy:manage" } }),
  supportSummary: t.field({
    type: SupportSummary,
    nullable: true,
    description: "Statistics about this person's support history.",
    authScopes: { permission: "contacts:read" },
    ...personalWithConsent("user.content.message", "analytics"),
    resolve: async (contact, _a, ctx) => {
      const [all, open] = await Promise.all([
        ctx.db.ticket.aggregate({
          where: { requesterId: contact.id },
          _count: true,
          _min: { createdAt: true },
          _max: { lastMessageAt: true },
        }),
        ctx.db.ticket.count({ where: { requesterId: contact.id, status: { in: ["NEW", "OPEN", "PENDING"] } } }),
      ]);
      return { ticketCount: all._count, openTicketCount: open, firstContactAt: all._min.createdAt, lastContactAt: all._max.lastMessageAt };
    },
  }),
}));

// ---- consent and objection ----

const ConsentInput = builder.inputType("ConsentInput", {
  fields: (t) => ({
    contactId: t.globalID({ for: Contact, description: "Required for agents and keys; a contact on the portal acts for themselves" }),
    purpose: t.string({ required: true, description: "A ProcessingPurpose name", validate: z.string().min(1).max(64) }),
    method: t.field({ type: ConsentMethod, description: "Defaults to PORTAL for contacts, API otherwise" }),
    policyVersion: t.string({ description: "The privacy policy version the person saw", validate: z.string().max(64) }),
  }),
});

function subjectOfInput(ctx: Context, contactId: { id: string } | null | undefined): string {
  const viewer = requireViewer(ctx);
  if (viewer.kind === "contact") {
    if (contactId && contactId.id !== viewer.contactId) throw new AppError("NOT_FOUND", "Contact not found");
    return viewer.contactId;
  }
  if (!contactId) {
    throw new AppError("VALIDATION", "contactId is required", { fields: [{ path: ["input", "contactId"], message: "required" }] });
  }
  return contactId.id;
}

function consentMutation(name: string, action: Action, description: string) {
  builder.mutationField(name, (t) =>
    t.prismaField({
      type: "ConsentEvent",
      description,
      authScopes: { anyPermission: ["contacts:write", "portal:self"] },
      args: { input: t.arg({ type: ConsentInput, required: true }) },
      resolve: async (query, _r, { input }, ctx) => {
        const contactId = subjectOfInput(ctx, input.contactId);
        const method = input.method ?? (ctx.viewer?.kind === "contact" ? "PORTAL" : "API");
        const { id } = await recordConsent(ctx, { contactId, purpose: input.purpose, action, method, policyVersion: input.policyVersion });
        return ctx.db.consentEvent.findUniqueOrThrow({ ...query, where: { id } });
      },
    }),
  );
}

consentMutation("grantConsent", "GRANTED", "Records consent for a purpose whose legal basis is CONSENT.");
consentMutation("withdrawConsent", "WITHDRAWN", "Records the withdrawal of consent; processing for the purpose stops at once.");
consentMutation(
  "objectToProcessing",
  "OBJECTED",
  "Records an objection (art. 21) to a legitimate-interest purpose; processing for it stops.",
);
consentMutation("withdrawObjection", "OBJECTION_LIFTED", "Lifts an earlier objection.");

// ---- restriction and legal hold (OWNER, ADMIN) ----

const reason = z.string().trim().min(1, "a reason is required").max(1000);

builder.mutationField("restrictProcessing", (t) =>
  t.prismaField({
    type: "Contact",
    description:
      "GDPR art. 18. The data stays; changes to the contact and its tickets are refused (PROCESSING_RESTRICTED), and integrations skip it.",
    authScopes: { permission: "privacy:manage" },
    args: { contactId: t.arg.globalID({ required: true, for: Contact }), reason: t.arg.string({ required: true, validate: reason }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await restriction.restrictProcessing(ctx, args.contactId.id, args.reason);
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
builder.mutationField("liftRestriction", (t) =>
  t.prismaField({
    type: "Contact",
    authScopes: { permission: "privacy:manage" },
    args: { contactId: t.arg.globalID({ required: true, for: Contact }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await restriction.liftRestriction(ctx, args.contactId.id);
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
builder.mutationField("placeLegalHold", (t) =>
  t.prismaField({
    type: "Contact",
    description: "Keeps the contact's data through erasure requests and retention (LEGAL_HOLD), e.g. during litigation.",
    authScopes: { permission: "privacy:manage" },
    args: { contactId: t.arg.globalID({ required: true, for: Contact }), reason: t.arg.string({ required: true, validate: reason }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await restriction.placeLegalHold(ctx, args.contactId.id, args.reason);
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
builder.mutationField("releaseLegalHold", (t) =>
  t.prismaField({
    type: "Contact",
    authScopes: { permission: "privacy:manage" },
    args: { contactId: t.arg.globalID({ required: true, for: Contact }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await restriction.releaseLegalHold(ctx, args.contactId.id);
      return ctx.db.contact.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
