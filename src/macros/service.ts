import { applyActions, BrokenReference, type Change } from "../automations/actions.js";
import { MACRO_ACTION_TYPES, type Action } from "../automations/rule.js";
import { disableRulesNaming } from "../automations/store.js";
import { checkActions } from "../automations/validate.js";
import { inTx, requireViewer, type Context } from "../context.js";
import { inTransaction } from "../db/tx.js";
import { AppError, forbidden, notFound } from "../errors.js";
import type { Macro, Prisma } from "../generated/prisma/client.js";
import { addMessage, findTicket } from "../tickets/service.js";
import { renderForTicket } from "./render.js";
import { checkTemplate } from "./template.js";

export interface MacroInput {
  title?: string | null;
  body?: string | null;
  /** Shared with the team (needs agents:manage) or the caller's own. */
  shared?: boolean | null;
  actions?: Action[] | null;
}

export type TypedMacro = Omit<Macro, "actions"> & { actions: Action[] };

const typed = (m: Macro): TypedMacro => ({ ...m, actions: (m.actions ?? []) as unknown as Action[] });

/** The agent the caller is, if any: personal macros belong to agents. */
const agentOf = (ctx: Context) => {
  const v = requireViewer(ctx);
  return v.kind === "agent" ? v.agentId : null;
};

/** The macros the caller sees: the shared ones and their own. */
export async function listMacros(ctx: Context, shared?: boolean | null): Promise<TypedMacro[]> {
  const me = agentOf(ctx);
  const mine = me ? [{ ownerId: me }] : [];
  const where =
    shared === true
      ? { ownerId: null }
      : shared === false
        ? me
          ? { ownerId: me }
          : { id: { in: [] } }
        : { OR: [{ ownerId: null }, ...mine] };
  const rows = await ctx.db.macro.findMany({ where, orderBy: [{ title: "asc" }, { id: "asc" }] });
  return rows.map(typed);
}

/** Another agent's personal macro is as missing as one that never existed. */
async function findMacro(ctx: Context, id: string): Promise<TypedMacro> {
  const macro = await ctx.db.macro.findUnique({ where: { id } });
  if (!macro || (macro.ownerId !== null && macro.ownerId !== agentOf(ctx))) throw notFound("Macro");
  return typed(macro);
}

/** Shared macros are the team's: managing them needs agents:manage. Personal ones are their owner's. */
function assertMayEdit(ctx: Context, shared: boolean): void {
  if (shared) {
    if (!ctx.can("agents:manage")) throw forbidden("Shared macros need agents:manage; save it as your own instead");
  } else if (!agentOf(ctx)) throw forbidden("Personal macros belong to agents; an API key can only use shared ones");
}

async function checked(ctx: Context, input: MacroInput) {
  if (input.body !== undefined && input.body !== null) checkTemplate(input.body, ["input", "body"]);
  const actions = input.actions ? await checkActions(ctx.db, input.actions, MACRO_ACTION_TYPES) : undefined;
  return actions as unknown as Prisma.InputJsonArray | undefined;
}

export async function createMacro(ctx: Context, input: MacroInput & { title: string; body: string }): Promise<TypedMacro> {
  const shared = input.shared ?? false;
  assertMayEdit(ctx, shared);
  const actions = await checked(ctx, input);
  const macro = await ctx.db.macro.create({
    data: {
      tenantId: requireViewer(ctx).tenantId,
      ownerId: shared ? null : agentOf(ctx),
      title: input.title,
      body: input.body,
      actions: actions ?? [],
    },
  });
  return typed(macro);
}

export async function updateMacro(ctx: Context, id: string, input: MacroInput): Promise<TypedMacro> {
  const current = await findMacro(ctx, id);
  assertMayEdit(ctx, current.ownerId === null);
  const shared = input.shared ?? current.ownerId === null;
  if (shared !== (current.ownerId === null)) assertMayEdit(ctx, shared);
  const actions = await checked(ctx, input);
  return inTransaction(ctx.db, async (tx) => {
    if (!shared && current.ownerId === null) {
      await disableRulesNaming(tx, current.tenantId, "macroId", id, `macro ${id} is no longer shared`);
    }
    const macro = await tx.macro.update({
      where: { id },
      data: {
        ...(input.title ? { title: input.title } : {}),
        ...(input.body ? { body: input.body } : {}),
        ...(actions ? { actions } : {}),
        ownerId: shared ? null : (current.ownerId ?? agentOf(ctx)),
      },
    });
    return typed(macro);
  });
}

/** Rules that send it are disabled with the reason, in the same transaction. */
export async function deleteMacro(ctx: Context, id: string): Promise<void> {
  const current = await findMacro(ctx, id);
  assertMayEdit(ctx, current.ownerId === null);
  await inTransaction(ctx.db, async (tx) => {
    await disableRulesNaming(tx, current.tenantId, "macroId", id, `macro ${id} was deleted`);
    await tx.macro.delete({ where: { id } });
  });
}

/** A template rendered for a ticket, as the caller would send it; nothing is written. */
export async function previewMacro(ctx: Context, ticketId: string, source: { macroId?: string | null; body?: string | null }) {
  if (!source.macroId === !source.body) {
    throw new AppError("VALIDATION", "Give either macroId or body", {
      fields: [{ path: ["macroId"], message: "exactly one of macroId and body" }],
    });
  }
  const macro = source.macroId ? await findMacro(ctx, source.macroId) : null;
  await findTicket(ctx.db, ticketId);
  const body = await renderForTicket(ctx, macro?.body ?? source.body!, ticketId, agentOf(ctx));
  return { body, actions: macro?.actions ?? [] };
}

/**
 * Sends the macro's reply on the ticket (through addMessage: closed tickets,
 * restricted requesters and outbound channels behave as for any reply) and
 * applies its actions, all in one transaction.
 */
export async function applyMacro(ctx: Context, ticketId: string, macroId: string) {
  const macro = await findMacro(ctx, macroId);
  return inTransaction(ctx.db, async (tx) => {
    const inside = inTx(ctx, tx);
    const body = await renderForTicket(inside, macro.body, ticketId, agentOf(ctx));
    if (!body.trim()) throw new AppError("VALIDATION", "The macro renders an empty reply for this ticket", { macroId });
    const message = await addMessage(inside, { ticketId, body, internal: false, from: "ME" });
    const changes: Change[] = await applyActions(inside, ticketId, macro.actions, agentOf(ctx)).catch((err) => {
      if (!(err instanceof BrokenReference)) throw err;
      throw new AppError("VALIDATION", `The macro's actions cannot be applied: ${err.message}; edit the macro`, { macroId });
    });
    const ticket = await findTicket(tx, ticketId);
    return { message, ticket, changes };
  });
}
