import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { AutomationAction, AutomationActionInput, actionFrom } from "../automations/schema.js";
import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import { Message, Ticket } from "../tickets/schema.js";
import { LIMITS } from "../validation.js";
import * as macros from "./service.js";
import { PLACEHOLDERS } from "./template.js";

/** Macros are for those who reply: listing and applying them needs tickets:write. */
const REPLY = { permission: "tickets:write" } as const;

const Macro = builder.prismaNode("Macro", {
  id: { field: "id" },
  description: `A canned response: a mustache template and optional actions. Placeholders: ${Object.keys(PLACEHOLDERS)
    .map((p) => `{{${p}}}`)
    .join(", ")}; values are HTML-escaped.`,
  authScopes: REPLY,
  fields: (t) => ({
    title: t.exposeString("title"),
    body: t.exposeString("body", { description: "The template, as saved" }),
    shared: t.boolean({ description: "Shared with the team; false: the caller's personal macro", resolve: (m) => m.ownerId === null }),
    ownerId: t.id({
      nullable: true,
      description: "The Agent whose personal macro it is",
      resolve: (m) => (m.ownerId ? encodeGlobalID("Agent", m.ownerId) : null),
    }),
    actions: t.field({ type: [AutomationAction], resolve: (m) => (m.actions ?? []) as never }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.queryField("macros", (t) =>
  t.field({
    type: [Macro],
    description: "The shared macros and the caller's own, by title.",
    authScopes: REPLY,
    args: { shared: t.arg.boolean({ description: "true: shared only; false: the caller's own only" }) },
    resolve: (_p, args, ctx) => macros.listMacros(ctx, args.shared) as never,
  }),
);

const MacroPreview = builder.objectRef<{ body: string; actions: unknown[] }>("MacroPreview").implement({
  fields: (t) => ({
    body: t.exposeString("body", { description: "The reply as it would be sent", ...personal("user.content.message") }),
    actions: t.field({ type: [AutomationAction], resolve: (p) => p.actions as never }),
  }),
});

builder.queryField("previewMacro", (t) =>
  t.field({
    type: MacroPreview,
    description:
      "Renders a macro (or a template being edited) for a ticket without sending anything. Reading the requester's name counts as a read of their personal data.",
    authScopes: REPLY,
    args: {
      ticketId: t.arg.globalID({ for: Ticket, required: true }),
      macroId: t.arg.globalID({ for: Macro }),
      body: t.arg.string({ validate: z.string().max(LIMITS.body) }),
    },
    resolve: (_p, args, ctx) => macros.previewMacro(ctx, args.ticketId.id, { macroId: args.macroId?.id, body: args.body }),
  }),
);

const MacroInput = (name: string, required: boolean) =>
  builder.inputType(name, {
    fields: (t) => ({
      title: t.string({ required, validate: z.string().trim().min(1).max(LIMITS.name) }),
      body: t.string({ required, validate: z.string().trim().min(1).max(LIMITS.body), description: "A mustache template" }),
      shared: t.boolean({ description: "Shared with the team (needs AGENTS_MANAGE); default: the caller's own" }),
      actions: t.field({ type: [AutomationActionInput], description: "Applied with the reply: ticket changes and notes only" }),
    }),
  });
const CreateMacroInput = MacroInput("CreateMacroInput", true);
const UpdateMacroInput = MacroInput("UpdateMacroInput", false);

builder.mutationField("createMacro", (t) =>
  t.prismaField({
    type: "Macro",
    description: "Saves a macro. Unknown placeholders are refused, all listed (extensions.unknownPlaceholders).",
    authScopes: REPLY,
    args: { input: t.arg({ type: CreateMacroInput, required: true }) },
    resolve: (_q, _p, { input }, ctx) =>
      macros.createMacro(ctx, { ...input, title: input.title!, body: input.body!, actions: input.actions?.map(actionFrom) }) as never,
  }),
);

builder.mutationField("updateMacro", (t) =>
  t.prismaField({
    type: "Macro",
    authScopes: REPLY,
    args: { id: t.arg.globalID({ for: Macro, required: true }), input: t.arg({ type: UpdateMacroInput, required: true }) },
    resolve: (_q, _p, { id, input }, ctx) => macros.updateMacro(ctx, id.id, { ...input, actions: input.actions?.map(actionFrom) }) as never,
  }),
);

builder.mutationField("deleteMacro", (t) =>
  t.boolean({
    description: "Deletes the macro; automation rules that send it are disabled with the reason.",
    authScopes: REPLY,
    args: { id: t.arg.globalID({ for: Macro, required: true }) },
    resolve: async (_p, { id }, ctx) => {
      await macros.deleteMacro(ctx, id.id);
      return true;
    },
  }),
);

const AppliedMacro = builder.objectRef<{ message: { id: string }; ticket: { id: string } }>("AppliedMacro").implement({
  fields: (t) => ({
    message: t.field({ type: Message, description: "The reply it sent", resolve: (r) => r.message as never }),
    ticket: t.field({ type: Ticket, description: "The ticket after its actions", resolve: (r) => r.ticket as never }),
  }),
});

builder.mutationField("applyMacro", (t) =>
  t.field({
    type: AppliedMacro,
    description:
      "Sends the macro's reply as a public message (like addMessage: closed tickets, restricted requesters and outbound channels apply) and applies its actions, all or nothing.",
    authScopes: REPLY,
    args: { ticketId: t.arg.globalID({ for: Ticket, required: true }), macroId: t.arg.globalID({ for: Macro, required: true }) },
    resolve: (_p, args, ctx) => macros.applyMacro(ctx, args.ticketId.id, args.macroId.id),
  }),
);
