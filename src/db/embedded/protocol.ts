import { messages } from "@electric-sql/pglite";

/**
 * Messages between the server and the thread that runs the embedded database
 * (./thread.ts, ./worker.ts). Every request has an id its answer carries;
 * `tx` names the open transaction a statement belongs to (the id of its
 * `begin`).
 */
export type Request =
  | { id: number; op: "query"; tx?: number; sql: string; params?: unknown[]; rowMode?: "array" | "object"; rawTypes?: number[] }
  | { id: number; op: "exec"; tx?: number; sql: string }
  | { id: number; op: "begin" }
  | { id: number; op: "rollback"; tx: number }
  | { id: number; op: "end"; tx: number; commit: boolean }
  | { id: number; op: "listen" | "unlisten"; channel: string }
  | { id: number; op: "close" };

export type Reply =
  | { id: number; result: unknown }
  | { id: number; error: SerializedError }
  | { notification: { channel: string; payload: string } }
  | { ready: true }
  | { failed: SerializedError };

export interface SerializedError {
  message: string;
  name: string;
  /** A database error's fields (code, detail, constraint…), or an error's own properties. */
  fields: Record<string, unknown>;
  databaseError: boolean;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { message: String(err), name: "Error", fields: {}, databaseError: false };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || typeof value === "function" || typeof value === "object") continue;
    fields[key] = value;
  }
  return { message: err.message, name: err.name, fields, databaseError: err instanceof messages.DatabaseError };
}

/** The error as the database raised it: a DatabaseError stays one, so its code is read as before. */
export function deserializeError(e: SerializedError): Error {
  if (e.databaseError) return Object.assign(new messages.DatabaseError(e.message, 0, "error"), e.fields);
  // Another error keeps its kind's name (a RuntimeError from the WebAssembly, say).
  const err = new Error(e.message);
  err.name = e.name;
  return Object.assign(err, e.fields);
}
