import { Prisma } from "../generated/prisma/client.js";
import type { StatementCounter } from "./statement-count.js";

/** What the driver (node-postgres, or the embedded database's thread) answers to one statement. */
interface DriverResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  /** Rows the statement changed (or returned), when the driver says. */
  rowCount: number | null;
}

/** Sends one statement with its parameters ($1, $2, …) outside any transaction. */
export type SendStatement = (text: string, values: unknown[]) => Promise<DriverResult>;

/**
 * Hand-written statements of hot paths (a ticket's insert, access records, the
 * sequencer's numbering), sent to the driver without Prisma's client: the same
 * statement costs a quarter to a third of the CPU, and a quarter of the
 * allocation, that it does through `$queryRaw`, which serialises every parameter
 * and maps every value of the answer (`npm run bench:statements`). Outside a
 * transaction only; its methods have `$queryRaw`'s and `$executeRaw`'s shape,
 * so that a function written for a Prisma client or transaction takes this one
 * too.
 *
 * Results are as the driver parses them, which for most types is what Prisma
 * gives (text, uuid, int, float8, boolean, json, their arrays). For the others
 * the two differ (bigint and numeric come as strings, timestamps without a
 * zone in the process's zone), so a column of such a type is refused: cast it
 * in the statement (`::int`, `::text`). Dates and bigints as parameters are
 * sent as Prisma sends them (ISO 8601 in UTC, decimal text).
 */
export interface DirectSql {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T>;
  $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number>;
}

/** Types whose parsed values differ from Prisma's (see DirectSql): int8, numeric, date, timestamp, timestamptz, money. */
const REFUSED_TYPES = new Map([
  [20, "bigint"],
  [1700, "numeric"],
  [1082, "date"],
  [1114, "timestamp"],
  [1184, "timestamptz"],
  [790, "money"],
  [1016, "bigint[]"],
  [1231, "numeric[]"],
  [1115, "timestamp[]"],
  [1185, "timestamptz[]"],
]);

/** Wraps each statement sent past Prisma (tracing sets it: ../observability/tracing/statements.ts). */
export type StatementSpan = <T>(text: string, send: () => Promise<T>) => Promise<T>;
let span: StatementSpan | undefined;

/** Has `wrap` see every direct statement of the process until the returned function is called. */
export function traceDirectStatements(wrap: StatementSpan): () => void {
  span = wrap;
  return () => {
    if (span === wrap) span = undefined;
  };
}

function parameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value;
}

function checkedTypes(text: string, result: DriverResult): DriverResult {
  for (const field of result.fields) {
    const type = REFUSED_TYPES.get(field.dataTypeID);
    if (type)
      throw new Error(`Column "${field.name}" is ${type}, which a direct statement does not return: cast it (${text.slice(0, 80)}…)`);
  }
  return result;
}

export function directSql(send: SendStatement, onError: (err: unknown) => void, counter: StatementCounter): DirectSql {
  const run = async (query: TemplateStringsArray | Prisma.Sql, values: unknown[]): Promise<DriverResult> => {
    const sql = query instanceof Prisma.Sql ? query : Prisma.sql(query, ...values);
    const text = sql.text;
    counter.sent(text);
    const sendIt = async () => checkedTypes(text, await send(text, sql.values.map(parameter)));
    try {
      return await (span ? span(text, sendIt) : sendIt());
    } catch (err) {
      onError(err);
      throw err;
    }
  };
  return {
    $queryRaw: async <T>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => (await run(query, values)).rows as T,
    $executeRaw: async (query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => (await run(query, values)).rowCount ?? 0,
  };
}
