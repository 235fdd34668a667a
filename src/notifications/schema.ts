import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { Contact } from "../contacts/schema.js";
import { builder } from "../graphql/builder.js";
import { Ticket } from "../tickets/schema.js";
import { LIMITS } from "../validation.js";
import { KINDS, type NotificationKind as Kind } from "./kinds.js";
import { type MarketingResult, sendMarketingEmail } from "./marketing.js";
import * as notifications from "./service.js";

/** Notifications are the tenant's settings, like its plugins: admins manage them. */
const MANAGE = { permission: "plugins:manage" } as const;

const NotificationKind = builder.enumType("NotificationKind", {
  description: "What the helpdesk tells people on its own.",
  values: Object.fromEntries(Object.entries(KINDS).map(([k, v]) => [k, { description: v.description }])) as Record<
    Kind,
    { description: string }
  >,
});
const NotificationChannel = builder.enumType("NotificationChannel", { values: ["EMAIL", "SMS"] as const });
const NotificationStatus = builder.enumType("NotificationStatus", {
  values: {
    QUEUED: { description: "Waiting for the notification worker" },
    SENDING: { description: "Being handed to the channel" },
    SENT: { description: "The mail or SMS left (externalId says which)" },
    FAILED: { description: "Not sent: error says why; never retried, so that nobody hears the same thing twice" },
  } as const,
});

const NotificationTemplate = builder
  .objectRef<{ locale: string; subject: string; body: string; builtIn: boolean }>("NotificationTemplate")
  .implement({
    description: "A kind's wording in one locale: mustache, values HTML-escaped in the HTML part.",
    fields: (t) => ({
      locale: t.exposeString("locale", { description: "A language tag, lower case (en, nl, de-at)" }),
      subject: t.exposeString("subject"),
      body: t.exposeString("body", { description: "Plain text; the HTML part is made from it" }),
      builtIn: t.exposeBoolean("builtIn", { description: "The built-in wording (the tenant has no template of its own in this locale)" }),
    }),
  });

const NotificationKindSettings = builder.objectRef<notifications.KindSettings>("NotificationKindSettings").implement({
  description:
    "One kind of notification as the tenant has it. The wording for a person is the template in their locale (then its language), else in the tenant's default locale, else English; the tenant's own template wins over the built-in one.",
  fields: (t) => ({
    kind: t.field({ type: NotificationKind, resolve: (s) => s.kind }),
    enabled: t.exposeBoolean("enabled"),
    required: t.exposeBoolean("required", { description: "Always sent; cannot be turned off" }),
    purpose: t.exposeString("purpose", { description: "What the gateway checks for the person (consent, restriction)" }),
    description: t.exposeString("description"),
    placeholders: t.exposeStringList("placeholders", { description: "What its templates may use, as {{name}}" }),
    templates: t.field({ type: [NotificationTemplate], resolve: (s) => s.templates }),
  }),
});

builder.queryField("notificationSettings", (t) =>
  t.field({
    type: [NotificationKindSettings],
    description: "Every kind of notification: on or off, its templates per locale (the tenant's and the built-in ones).",
    authScopes: MANAGE,
    resolve: (_p, _a, ctx) => notifications.notificationSettings(ctx),
  }),
);

const SetNotificationTemplateInput = builder.inputType("SetNotificationTemplateInput", {
  fields: (t) => ({
    kind: t.field({ type: NotificationKind, required: true }),
    locale: t.string({ required: true, validate: z.string().trim().min(2).max(35), description: "A language tag: en, nl, de-at…" }),
    subject: t.string({ required: true, validate: z.string().trim().min(1).max(LIMITS.name) }),
    body: t.string({ required: true, validate: z.string().trim().min(1).max(LIMITS.body) }),
  }),
});

builder.mutationField("setNotificationTemplate", (t) =>
  t.field({
    type: NotificationKindSettings,
    description:
      "Saves the tenant's wording of a kind in a locale. Only the kind's placeholders, always escaped: unknown ones, {{{…}}}, {{& …}} and partials are refused (VALIDATION, extensions.allowedPlaceholders).",
    authScopes: MANAGE,
    args: { input: t.arg({ type: SetNotificationTemplateInput, required: true }) },
    resolve: (_p, { input }, ctx) => notifications.setNotificationTemplate(ctx, input),
  }),
);

builder.mutationField("deleteNotificationTemplate", (t) =>
  t.field({
    type: NotificationKindSettings,
    description: "Removes the tenant's wording in a locale; the built-in one applies again. NOT_FOUND when there is none.",
    authScopes: MANAGE,
    args: {
      kind: t.arg({ type: NotificationKind, required: true }),
      locale: t.arg.string({ required: true, validate: z.string().max(35) }),
    },
    resolve: (_p, args, ctx) => notifications.deleteNotificationTemplate(ctx, args.kind, args.locale),
  }),
);

builder.mutationField("setNotificationEnabled", (t) =>
  t.field({
    type: NotificationKindSettings,
    description:
      "Turns a kind on or off. Acknowledgements and satisfaction requests are off until turned on; data-subject-request notices and marketing are on; DSR_VERIFICATION cannot be turned off (VALIDATION).",
    authScopes: MANAGE,
    args: { kind: t.arg({ type: NotificationKind, required: true }), enabled: t.arg.boolean({ required: true }) },
    resolve: (_p, args, ctx) => notifications.setNotificationEnabled(ctx, args.kind, args.enabled),
  }),
);

const Notification = builder.prismaObject("Notification", {
  description: "One notification to one person: what it was, how it went. Its text is not kept (rendered when sent).",
  fields: (t) => ({
    id: t.id({ resolve: (n) => encodeGlobalID("Notification", n.id) }),
    kind: t.field({ type: NotificationKind, resolve: (n) => n.kind }),
    channel: t.field({ type: NotificationChannel, resolve: (n) => n.channel }),
    status: t.field({ type: NotificationStatus, resolve: (n) => n.status }),
    error: t.exposeString("error", {
      nullable: true,
      description:
        "Why it was not sent: PROCESSING_RESTRICTED, CONSENT_REQUIRED, PLUGIN_DISABLED, NO_CHANNEL (no connected mailbox or SMS number), NO_EMAIL_ADDRESS, NO_LONGER_SOLVED, SMTP_<status>…",
    }),
    externalId: t.exposeString("externalId", {
      nullable: true,
      description: "The mail's Message-ID (without brackets) or the SMS's id at the vendor",
    }),
    contact: t.relation("contact", { authScopes: { permission: "contacts:read" } }),
    ticket: t.field({
      type: Ticket,
      nullable: true,
      description: "The ticket it is about",
      authScopes: { permission: "tickets:read" },
      resolve: (n, _a, ctx) => (n.ticketId ? (ctx.db.ticket.findUnique({ where: { id: n.ticketId } }) as never) : null),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was queued" }),
    sentAt: t.expose("sentAt", { type: "DateTime", nullable: true }),
  }),
});

const NotificationFilter = builder.inputType("NotificationFilter", {
  fields: (t) => ({
    kind: t.field({ type: NotificationKind }),
    status: t.field({ type: NotificationStatus }),
    contactId: t.globalID({ for: Contact }),
    ticketId: t.globalID({ for: Ticket }),
  }),
});

builder.queryField("notifications", (t) =>
  t.prismaField({
    type: [Notification],
    description: "The notifications queued and sent, newest first.",
    authScopes: MANAGE,
    args: {
      filter: t.arg({ type: NotificationFilter }),
      first: t.arg.int({ defaultValue: 50, validate: z.number().int().min(1).max(200) }),
    },
    resolve: (_q, _p, { filter, first }, ctx) =>
      notifications.listNotifications(
        ctx,
        filter && { kind: filter.kind, status: filter.status, contactId: filter.contactId?.id, ticketId: filter.ticketId?.id },
        first ?? 50,
      ),
  }),
);

const MarketingSkipReason = builder.enumType("MarketingSkipReason", {
  values: {
    NOT_FOUND: { description: "No such contact in the tenant (or erased)" },
    NO_EMAIL_ADDRESS: { description: "The contact has no email address" },
    CONSENT_REQUIRED: { description: "No marketing consent: never given, or withdrawn (an unsubscribe link records that)" },
    PROCESSING_RESTRICTED: { description: "The person restricted processing" },
  } as const,
});

const MarketingSkip = builder.objectRef<MarketingResult["skipped"][number]>("MarketingSkip").implement({
  fields: (t) => ({
    contactId: t.id({ description: "The Contact's global ID", resolve: (s) => encodeGlobalID("Contact", s.contactId) }),
    reason: t.field({ type: MarketingSkipReason, resolve: (s) => s.reason }),
  }),
});

const MarketingSend = builder.objectRef<MarketingResult>("MarketingSend").implement({
  fields: (t) => ({
    queued: t.exposeInt("queued", { description: "Mails queued: one per contact with marketing consent and an address" }),
    skipped: t.field({ type: [MarketingSkip], description: "The contacts left out, and why", resolve: (s) => s.skipped }),
  }),
});

const SendMarketingEmailInput = builder.inputType("SendMarketingEmailInput", {
  fields: (t) => ({
    contactIds: t.globalIDList({ for: Contact, required: true, validate: z.array(z.unknown()).min(1).max(1000) }),
    subject: t.string({ required: true, validate: z.string().trim().min(1).max(LIMITS.name) }),
    body: t.string({
      required: true,
      validate: z.string().trim().min(1).max(LIMITS.body),
      description: "Plain text; escaped in the HTML part",
    }),
  }),
});

builder.mutationField("sendMarketingEmail", (t) =>
  t.field({
    type: MarketingSend,
    description:
      "Sends a marketing message by email to the contacts who gave marketing consent, from the tenant's connected mailbox, through the MARKETING template (the text goes in {{message.subject}} and {{message.body}}). Each mail has RFC 8058 one-click unsubscribe (List-Unsubscribe and List-Unsubscribe-Post headers, and the link in the text): following it withdraws the person's marketing consent (method EMAIL_LINK). Contacts without consent, restricted or without an address are skipped and listed. VALIDATION without a connected mailbox or with MARKETING turned off.",
    authScopes: MANAGE,
    args: { input: t.arg({ type: SendMarketingEmailInput, required: true }) },
    resolve: (_p, { input }, ctx) =>
      sendMarketingEmail(ctx, { contactIds: input.contactIds.map((c) => c.id), subject: input.subject, body: input.body }),
  }),
);
