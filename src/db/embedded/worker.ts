import { parentPort, workerData } from "node:worker_threads";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { EXTENSIONS } from "../extensions.js";
import { serializeError, type Reply, type Request } from "./protocol.js";

/**
 * The embedded database's thread (started by ./thread.ts). PGlite runs
 * PostgreSQL compiled to WebAssembly synchronously in the thread that calls
 * it: here it has a thread of its own, and the server's event loop stays free
 * while a statement runs.
 */
export interface WorkerOptions {
  dataDir: string;
  /** A migrated snapshot to start a new in-memory database from (src/db/snapshot.ts). */
  tarball?: Uint8Array<ArrayBuffer>;
}

interface OpenTransaction {
  tx: Transaction;
  /** Its statements run in the order they were sent. */
  chain: Promise<unknown>;
  end(commit: boolean, id: number): void;
}

const port = parentPort!;
const options = workerData as WorkerOptions;
const db = new PGlite(options.dataDir, {
  extensions: EXTENSIONS,
  loadDataDir: options.tarball ? new Blob([options.tarball]) : undefined,
});
const transactions = new Map<number, OpenTransaction>();
const unlisteners = new Map<string, () => Promise<void>>();
const posters = new Map<string, (payload: string) => void>();

const post = (reply: Reply) => port.postMessage(reply);
const answer = (id: number, work: () => Promise<unknown>) =>
  work().then(
    (result) => post({ id, result }),
    (err: unknown) => post({ id, error: serializeError(err) }),
  );

/** Parsers that keep a type's text, for the server to parse with its own (functions do not cross threads). */
const textParsers = new Map<string, Record<number, (text: string) => string>>();
function keepText(types: number[] | undefined) {
  if (!types?.length) return undefined;
  const key = types.join();
  let parsers = textParsers.get(key);
  if (!parsers) textParsers.set(key, (parsers = Object.fromEntries(types.map((t) => [t, (text: string) => text]))));
  return parsers;
}

/** Ends a transaction's callback so that PGlite rolls it back. */
class RolledBack extends Error {}

function begin(id: number): void {
  let endId = id;
  let ended!: (commit: boolean) => void;
  const outcome = new Promise<boolean>((resolve) => (ended = resolve));
  db.transaction(async (tx) => {
    transactions.set(id, {
      tx,
      chain: Promise.resolve(),
      end(commit, endRequest) {
        endId = endRequest;
        ended(commit);
      },
    });
    post({ id, result: id });
    // Thrown, the transaction rolls back (unless already rolled back); returned, it commits.
    if (!(await outcome)) throw new RolledBack();
  })
    .then(
      () => post({ id: endId, result: null }),
      (err: unknown) => post({ id: endId, ...(err instanceof RolledBack ? { result: null } : { error: serializeError(err) }) }),
    )
    .finally(() => transactions.delete(id));
}

function handle(m: Request): void {
  switch (m.op) {
    case "query":
    case "exec":
      if (m.tx === undefined) return void run(m, db);
      return void inTransaction(m.tx, m);
    case "rollback":
    case "end":
      return void inTransaction(m.tx, m);
    case "begin":
      begin(m.id);
      return;
    case "listen":
      // PGlite LISTENs on every call and keeps one copy of a callback: one poster per channel.
      return void answer(m.id, async () => {
        const channel = m.channel;
        let poster = posters.get(channel);
        if (!poster) posters.set(channel, (poster = (payload: string) => post({ notification: { channel, payload } })));
        unlisteners.set(channel, await db.listen(channel, poster));
      });
    case "unlisten":
      return void answer(m.id, async () => {
        const unlisten = unlisteners.get(m.channel);
        unlisteners.delete(m.channel);
        posters.delete(m.channel);
        await unlisten?.();
      });
    case "close":
      return void answer(m.id, () => db.close()).then(() => port.close());
  }
}

/** A statement, rollback or end of an open transaction, after what was sent to it before. */
function inTransaction(id: number, m: Request & { op: "query" | "exec" | "rollback" | "end" }): void {
  const open = transactions.get(id);
  if (!open) return void post({ id: m.id, error: serializeError(new Error("Transaction is closed")) });
  if (m.op === "end") return void open.chain.then(() => open.end(m.commit, m.id));
  open.chain = open.chain.then(() => run(m, open.tx));
}

function run(m: Request & { op: "query" | "exec" | "rollback" }, target: PGlite | Transaction): Promise<void> {
  return answer(m.id, async () => {
    if (m.op === "query") return await target.query(m.sql, m.params, { rowMode: m.rowMode, parsers: keepText(m.rawTypes) });
    if (m.op === "exec") return await target.exec(m.sql);
    return await (target as Transaction).rollback();
  });
}

port.on("message", handle);
db.waitReady.then(
  () => post({ ready: true }),
  (err: unknown) => post({ failed: serializeError(err) }),
);
