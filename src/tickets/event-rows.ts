import DataLoader from "dataloader";
import type { Context } from "../context.js";
import { mayReadNotes } from "../auth/visibility.js";
import type { Attachment, Message, Ticket } from "../generated/prisma/client.js";

/** The rows an event names, by model. */
type Rows = { ticket: Ticket; message: Message; attachment: Attachment };
type Model = keyof Rows;
type Row = { id: string };
/** What Pothos asks Prisma for (select or include), as the resolver gets it. */
type Query = Record<string, unknown>;
type FindMany = (args: Query) => Promise<Row[]>;

const loaders = new Map<string, DataLoader<string, Row | null>>();

/**
 * The row a TicketEvent names (its ticket, message or attachment), read for
 * many deliveries at once. One notice wakes every subscriber of a tenant and
 * they share the page of events, so their resolvers ask for the same rows in
 * the same tick: a thousand subscribers selecting `ticket { subject }` sent a
 * thousand statements per event. Callers whose reads are alike (the same
 * tenant, staff rather than a contact, the same right to internal notes, the
 * same selection) now share one statement per tick, as do the events of one
 * `events(after:)` page. Nothing is kept after the statement: each tick reads
 * afresh, so a delivery still sees the row as it is then. A portal contact's
 * reads go through their confined client, one by one, as before.
 */
export function eventRow<M extends Model>(ctx: Context, model: M, id: string, query: Query, where: Query = {}): Promise<Rows[M] | null> {
  type T = Rows[M];
  const viewer = ctx.viewer;
  const findMany = ctx.db[model].findMany as unknown as FindMany;
  if (!viewer || viewer.kind === "contact")
    return findMany({ ...query, where: { id, ...where } }).then((rows) => (rows[0] as T | undefined) ?? null);
  const key = JSON.stringify([viewer.tenantId, model, mayReadNotes(ctx), query, where]);
  let loader = loaders.get(key);
  if (!loader) {
    loader = new DataLoader(
      async (ids) => {
        // Later asks start a new batch: this one's statement is about to be sent.
        loaders.delete(key);
        // The id is needed to hand each row to its caller; a selection without it gets it added.
        const selection = query.select ? { ...query, select: { ...(query.select as Query), id: true } } : query;
        const rows = await findMany({ ...selection, where: { id: { in: [...new Set(ids)] }, ...where } });
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((i) => byId.get(i) ?? null);
      },
      { cache: false },
    );
    loaders.set(key, loader);
  }
  return loader.load(id) as Promise<T | null>;
}
