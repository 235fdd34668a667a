import { Prisma } from "../generated/prisma/client.js";

/** What taking a number needs: any client that runs raw SQL (not a transaction: see below). */
export interface CounterClient {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): PromiseLike<T>;
}

/**
 * The tenant's next ticket number, in a statement of its own, committed at
 * once: the counter row is locked only while this one statement runs, so
 * concurrent creates never queue behind each other's transactions. A create
 * that fails afterwards leaves a gap in the numbers; they are unique and
 * increasing, not gap-free.
 */
export async function nextTicketNumber(client: CounterClient, tenantId: string): Promise<number> {
  const [number] = await nextTicketNumbers(client, tenantId, 1);
  return number!;
}

/**
 * `count` consecutive numbers for tickets created together (an imported batch of mails), in one
 * statement like nextTicketNumber. A simple create takes its number inside its own statement
 * instead (deskgraph_insert_ticket, migration 0043_insert_ticket_function), with the same
 * upsert: a change to how the counter moves goes there too, in a migration of its own.
 */
export async function nextTicketNumbers(client: CounterClient, tenantId: string, count: number): Promise<number[]> {
  const rows = await client.$queryRaw<{ last: number }[]>(Prisma.sql`
    INSERT INTO "TicketCounter" ("tenantId", "last") VALUES (${tenantId}::uuid, ${count})
    ON CONFLICT ("tenantId") DO UPDATE SET "last" = "TicketCounter"."last" + ${count}
    RETURNING "last"`);
  const last = Number(rows[0]!.last);
  return Array.from({ length: count }, (_, i) => last - count + 1 + i);
}

/** Sets the counter (seeding, imports): the next ticket gets `last + 1`. */
export async function setTicketCounter(client: CounterClient, tenantId: string, last: number): Promise<void> {
  await client.$queryRaw`
    INSERT INTO "TicketCounter" ("tenantId", "last") VALUES (${tenantId}::uuid, ${last})
    ON CONFLICT ("tenantId") DO UPDATE SET "last" = EXCLUDED."last" RETURNING "last"`;
}
