import { createHash } from "node:crypto";
import pg from "pg";

/** A statement is prepared once this process has sent its text this many times: one-off texts stay unnamed. */
const PREPARE_AFTER = 2;
/** Texts whose counts and names are remembered; past it, the least recently sent is forgotten. */
const KNOWN_TEXTS = 2000;

interface Known {
  seen: number;
  name: string | undefined;
}

type QueryConfig = { text?: unknown; name?: unknown; submit?: unknown };

/**
 * A pg.Client for the pool that keeps the statements it sends often prepared
 * on its connection (named statements of the extended protocol): PostgreSQL
 * parses such a statement once per connection, and plans it once when a
 * generic plan is as good as a custom one (its `plan_cache_mode`), instead of
 * parsing and planning every time. For a `createTicket` that is most of the
 * database's work besides the writes themselves, as the statements Prisma
 * sends are long and their writes small.
 *
 * At most `capacity` statements per connection, taken in the order they
 * become frequent (sent PREPARE_AFTER times by this process); the rest go
 * unnamed as before. Nothing is ever deallocated: a connection's statements
 * go with it. 0 turns preparing off, for a connection pooler in transaction
 * mode that does not carry named statements (PgBouncer before 1.21).
 */
export function preparingClient(capacity: number): typeof pg.Client {
  if (capacity <= 0) return pg.Client;
  const known = new Map<string, Known>();

  /** The name to send `text` under, once it is frequent. */
  const nameOf = (text: string): string | undefined => {
    let entry = known.get(text);
    if (entry) {
      // Re-inserted so that the map stays in order of last use.
      known.delete(text);
    } else {
      entry = { seen: 0, name: undefined };
      if (known.size >= KNOWN_TEXTS) known.delete(known.keys().next().value!);
    }
    known.set(text, entry);
    if (entry.name === undefined && ++entry.seen >= PREPARE_AFTER) {
      entry.name = `dg_${createHash("sha256").update(text).digest("base64url").slice(0, 32)}`;
    }
    return entry.name;
  };

  return class PreparingClient extends pg.Client {
    /** Names this connection has been asked to prepare (whether or not PostgreSQL has answered yet). */
    private readonly names = new Set<string>();

    // Typed loosely: pg.Client#query has a dozen overloads, and every one ends here.
    override query(config: any, values?: any, callback?: any): any {
      const c = config as QueryConfig | string | null;
      // A config object with text and no name; not a Query or Cursor instance (those have submit()).
      if (c && typeof c === "object" && typeof c.text === "string" && c.name === undefined && typeof c.submit !== "function") {
        const name = nameOf(c.text);
        if (name && (this.names.has(name) || this.names.size < capacity)) {
          this.names.add(name);
          return super.query({ ...c, name } as any, values, callback);
        }
      }
      return super.query(config, values, callback);
    }
  };
}
