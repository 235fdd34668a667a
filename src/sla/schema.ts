import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { Calendar } from "../calendars/schema.js";
import { Organization } from "../contacts/schema.js";
import { builder } from "../graphql/builder.js";
import { Channel, TicketPriority } from "../tickets/schema.js";
import type { Channel as ChannelValue, TicketPriority as TicketPriorityValue } from "../generated/prisma/enums.js";
import { tagSchema } from "../validation.js";
import type { SLA_TARGETS } from "./clock.js";
import * as sla from "./service.js";

const READ = { permission: "tickets:read" } as const;
/** SLA policies are tenant configuration, like calendars and webhooks. */
const MANAGE = { permission: "agents:manage" } as const;

const SlaTarget = builder.enumType("SlaTarget", {
  values: {
    FIRST_RESPONSE: { description: "From creation to the team's first public reply" },
    NEXT_RESPONSE: { description: "From a requester's message (after the first reply) to the team's next public reply" },
    RESOLUTION: { description: "From creation to SOLVED" },
  },
});

const SlaPolicy = builder.prismaNode("SlaPolicy", {
  id: { field: "id" },
  description:
    "Targets for tickets that meet its conditions, in business minutes of its calendar. Policies are tried in position order; the first match applies. " +
    "Every non-empty condition must hold: the ticket's priority, channel, one of its tags, its requester's organisation is listed.",
  authScopes: READ,
  fields: (t) => ({
    name: t.exposeString("name"),
    position: t.exposeInt("position", { description: "Tried in ascending order (reorderSlaPolicies)" }),
    enabled: t.exposeBoolean("enabled"),
    calendar: t.relation("calendar", { nullable: true, description: "Null: the tenant's default calendar (round the clock without one)" }),
    priorities: t.field({ type: [TicketPriority], resolve: (p) => p.priorities as TicketPriorityValue[] }),
    channels: t.field({ type: [Channel], resolve: (p) => p.channels as ChannelValue[] }),
    tags: t.exposeStringList("tags"),
    organizationIds: t.field({
      type: ["ID"],
      description: "Global IDs of the organisations whose requesters' tickets it applies to",
      resolve: (p) => p.organizationIds.map((id) => encodeGlobalID("Organization", id)),
    }),
    firstResponseMinutes: t.exposeInt("firstResponseMinutes", { nullable: true }),
    nextResponseMinutes: t.exposeInt("nextResponseMinutes", { nullable: true }),
    resolutionMinutes: t.exposeInt("resolutionMinutes", { nullable: true }),
    warnAtPercent: t.exposeInt("warnAtPercent", { description: "SLA_WARNING when this share of a target has passed" }),
    warnMinutesBefore: t.exposeInt("warnMinutesBefore", {
      nullable: true,
      description: "When set: SLA_WARNING this many business minutes before the due time instead",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("TicketSla", {
  description:
    "Where a ticket stands against its SLA policy. Kept up to date shortly after each change of the ticket (an event consumer); breaches are recorded by the scheduler when a due time passes.",
  authScopes: READ,
  fields: (t) => ({
    policy: t.relation("policy", { nullable: true, description: "Null when no policy matches the ticket" }),
    firstResponseDueAt: t.expose("firstResponseDueAt", { type: "DateTime", nullable: true }),
    firstRespondedAt: t.expose("firstRespondedAt", { type: "DateTime", nullable: true }),
    nextResponseDueAt: t.expose("nextResponseDueAt", {
      type: "DateTime",
      nullable: true,
      description: "Set while a requester's message waits for a reply",
    }),
    resolutionDueAt: t.expose("resolutionDueAt", { type: "DateTime", nullable: true }),
    resolvedAt: t.expose("resolvedAt", { type: "DateTime", nullable: true }),
    pausedAt: t.expose("pausedAt", {
      type: "DateTime",
      nullable: true,
      description: "Since when the clocks are stopped (PENDING, SOLVED); leaving moves the due times on by the business time stopped",
    }),
    dueAt: t.expose("dueAt", { type: "DateTime", nullable: true, description: "The earliest running due time" }),
    breached: t.boolean({
      description: "A target was missed, or a running one is past its due time",
      resolve: (s) => s.breached || (s.dueAt !== null && s.dueAt < new Date()),
    }),
    breachedTargets: t.field({ type: [SlaTarget], resolve: (s) => s.breachedTargets as (typeof SLA_TARGETS)[number][] }),
  }),
});

builder.prismaObjectField("Ticket", "sla", (t) =>
  t.relation("sla", {
    nullable: true,
    authScopes: READ,
    description: "Null until the ticket's first change has been handled (moments after it)",
  }),
);

const minutes = z.number().int().min(1).max(525_600);

const SlaConditionsInput = builder.inputType("SlaConditionsInput", {
  description: "Empty or omitted lists match every ticket.",
  fields: (t) => ({
    priorities: t.field({ type: [TicketPriority] }),
    channels: t.field({ type: [Channel] }),
    tags: t.stringList({ validate: z.array(tagSchema).max(50) }),
    organizationIds: t.globalIDList({ for: Organization, validate: z.array(z.unknown()).max(100) }),
  }),
});

const policyName = z.string().trim().min(1, "must not be empty").max(100);

const CreateSlaPolicyInput = builder.inputType("CreateSlaPolicyInput", {
  description: "At least one target. A new policy is tried last.",
  fields: (t) => ({
    name: t.string({ required: true, validate: policyName }),
    enabled: t.boolean({ defaultValue: true }),
    calendarId: t.globalID({ for: Calendar, description: "Omitted: the default calendar" }),
    conditions: t.field({ type: SlaConditionsInput }),
    firstResponseMinutes: t.int({ validate: minutes }),
    nextResponseMinutes: t.int({ validate: minutes }),
    resolutionMinutes: t.int({ validate: minutes }),
    warnAtPercent: t.int({ defaultValue: 80, validate: z.number().int().min(1).max(99) }),
    warnMinutesBefore: t.int({ validate: minutes }),
  }),
});

const UpdateSlaPolicyInput = builder.inputType("UpdateSlaPolicyInput", {
  description:
    "Omitted fields stay; null clears a target, the calendar (default one) or warnMinutesBefore. conditions replaces all of them.",
  fields: (t) => ({
    name: t.string({ validate: policyName }),
    enabled: t.boolean(),
    calendarId: t.globalID({ for: Calendar }),
    conditions: t.field({ type: SlaConditionsInput }),
    firstResponseMinutes: t.int({ validate: minutes }),
    nextResponseMinutes: t.int({ validate: minutes }),
    resolutionMinutes: t.int({ validate: minutes }),
    warnAtPercent: t.int({ validate: z.number().int().min(1).max(99) }),
    warnMinutesBefore: t.int({ validate: minutes }),
  }),
});

type Conditions = {
  priorities?: ("LOW" | "NORMAL" | "HIGH" | "URGENT")[] | null;
  channels?: ("EMAIL" | "SMS" | "WEB" | "API" | "PHONE" | "CHAT")[] | null;
  tags?: string[] | null;
  organizationIds?: { id: string }[] | null;
};
const conditions = (c: Conditions | null | undefined) => ({
  priorities: c?.priorities ?? [],
  channels: c?.channels ?? [],
  tags: c?.tags ?? [],
  organizationIds: (c?.organizationIds ?? []).map((o) => o.id),
});
/** undefined: leave as is; null: clear. */
const keep = <T>(v: T | null | undefined): T | null | undefined => v;

builder.queryField("slaPolicies", (t) =>
  t.prismaField({
    type: ["SlaPolicy"],
    description: "The tenant's SLA policies in the order they are tried.",
    authScopes: READ,
    resolve: (query, _r, _a, ctx) => ctx.db.slaPolicy.findMany({ ...query, orderBy: [{ position: "asc" }, { createdAt: "asc" }] }),
  }),
);

builder.mutationField("createSlaPolicy", (t) =>
  t.prismaField({
    type: "SlaPolicy",
    description:
      "VALIDATION for a policy without targets, or naming a calendar or organisation that does not exist; CONFLICT for a name in use.",
    authScopes: MANAGE,
    args: { input: t.arg({ type: CreateSlaPolicyInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await sla.createSlaPolicy(ctx, {
        name: input.name.trim(),
        enabled: input.enabled ?? true,
        calendarId: input.calendarId?.id ?? null,
        ...conditions(input.conditions),
        firstResponseMinutes: input.firstResponseMinutes ?? null,
        nextResponseMinutes: input.nextResponseMinutes ?? null,
        resolutionMinutes: input.resolutionMinutes ?? null,
        warnAtPercent: input.warnAtPercent ?? 80,
        warnMinutesBefore: input.warnMinutesBefore ?? null,
      });
      return ctx.db.slaPolicy.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateSlaPolicy", (t) =>
  t.prismaField({
    type: "SlaPolicy",
    description: "Tickets already under the policy get the new targets at their next change.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: SlaPolicy }), input: t.arg({ type: UpdateSlaPolicyInput, required: true }) },
    resolve: async (query, _r, { id, input }, ctx) => {
      await sla.updateSlaPolicy(ctx, id.id, {
        name: input.name?.trim(),
        enabled: input.enabled ?? undefined,
        calendarId: input.calendarId === null ? null : input.calendarId?.id,
        ...(input.conditions ? conditions(input.conditions) : {}),
        firstResponseMinutes: keep(input.firstResponseMinutes),
        nextResponseMinutes: keep(input.nextResponseMinutes),
        resolutionMinutes: keep(input.resolutionMinutes),
        warnAtPercent: input.warnAtPercent ?? undefined,
        warnMinutesBefore: keep(input.warnMinutesBefore),
      });
      return ctx.db.slaPolicy.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
);

builder.mutationField("deleteSlaPolicy", (t) =>
  t.id({
    description:
      "Returns the deleted policy's ID. Its tickets keep their breaches; their clocks follow the next matching policy at their next change.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: SlaPolicy }) },
    resolve: async (_r, { id }, ctx) => {
      await sla.deleteSlaPolicy(ctx, id.id);
      return encodeGlobalID("SlaPolicy", id.id);
    },
  }),
);

builder.mutationField("reorderSlaPolicies", (t) =>
  t.prismaField({
    type: ["SlaPolicy"],
    description: "Sets the order policies are tried in; ids lists every policy of the tenant once (VALIDATION otherwise).",
    authScopes: MANAGE,
    args: { ids: t.arg.globalIDList({ required: true, for: SlaPolicy, validate: z.array(z.unknown()).max(500) }) },
    resolve: async (query, _r, { ids }, ctx) => {
      await sla.reorderSlaPolicies(
        ctx,
        ids.map((i) => i.id),
      );
      return ctx.db.slaPolicy.findMany({ ...query, orderBy: [{ position: "asc" }, { createdAt: "asc" }] });
    },
  }),
);
