import { readFileSync } from "node:fs";
import { GraphQLError, parse } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { usePersistedOperations, defaultExtractPersistedOperationId } from "@graphql-yoga/plugin-persisted-operations";
import { ConfigError } from "../config.js";
import { AppError } from "../errors.js";

type PersistedOperationsMode = "off" | "allow" | "require";

/**
 * The operations a deployment's clients were built with, by id: the JSON
 * object `{ "<hash>": "<document>" }` that graphql-codegen's client preset
 * writes to persisted-documents.json with `presetConfig: { persistedDocuments: true }`.
 */
export type PersistedManifest = ReadonlyMap<string, string>;

/** Reads and checks the manifest at start: a broken file stops the server with a message naming it. */
export function loadManifest(file: string): PersistedManifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError([`PERSISTED_OPERATIONS_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new ConfigError([`PERSISTED_OPERATIONS_FILE: ${file} must hold a JSON object of { "<id>": "<GraphQL document>" }`]);
  }
  const problems: string[] = [];
  const manifest = new Map<string, string>();
  for (const [id, document] of Object.entries(json)) {
    if (typeof document !== "string") {
      problems.push(`PERSISTED_OPERATIONS_FILE: ${id}: the document must be a string`);
      continue;
    }
    try {
      parse(document);
      manifest.set(id, document);
    } catch (err) {
      problems.push(`PERSISTED_OPERATIONS_FILE: ${id}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return manifest;
}

/**
 * The id a client sends instead of a document: `documentId` (the GraphQL over
 * HTTP draft and the codegen client preset), or Apollo's
 * `extensions.persistedQuery.sha256Hash`.
 */
function operationIdOf(params: GraphQLParams & { documentId?: unknown }): string | null {
  if (typeof params.documentId === "string" && params.documentId) return params.documentId;
  return defaultExtractPersistedOperationId(params, undefined as never, {});
}

const notFound = () =>
  new AppError("PERSISTED_QUERY_NOT_FOUND", "No persisted operation has this id on this server (is the manifest deployed?)", {
    http: { status: 400 },
  });
const required = () =>
  new AppError("PERSISTED_QUERY_REQUIRED", "This server runs persisted operations only: send the operation's documentId, not its text", {
    http: { status: 400 },
  });

export interface PersistedOptions {
  mode: Exclude<PersistedOperationsMode, "off">;
  manifest: PersistedManifest;
  /**
   * With `require`: whether this request may still send a document of its own.
   * The server grants it to signed-in agents in development mode only (GraphiQL).
   */
  mayRunDocuments(request: Request): Promise<boolean>;
}

/**
 * Persisted operations over HTTP (and SSE). `allow`: a request names an
 * operation of the manifest by id, or sends a document as before. `require`:
 * only ids; a document is refused with PERSISTED_QUERY_REQUIRED before it is
 * parsed, except where `mayRunDocuments` says otherwise.
 */
export function persistedOperations(options: PersistedOptions): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (id) => options.manifest.get(id) ?? null,
    extractPersistedOperationId: operationIdOf,
    allowArbitraryOperations: options.mode === "allow" ? true : (request) => options.mayRunDocuments(request),
    customErrors: {
      notFound,
      persistedQueryOnly: required,
      // Neither a document nor an id: in `allow` mode either would do.
      keyNotFound: () =>
        options.mode === "require"
          ? required()
          : new GraphQLError("Send a query, or the documentId of a persisted operation", {
              extensions: { code: "GRAPHQL_PARSE_FAILED", http: { status: 400 } },
            }),
    },
  });
}

/**
 * The same rule for an operation over WebSocket (graphql-ws), where yoga's
 * request hooks do not run: the document to run, from the id in the message's
 * extensions (or `documentId` in its payload), or the error to answer with.
 */
export function socketDocument(
  options: Omit<PersistedOptions, "mayRunDocuments"> & { mayRunDocuments: boolean },
  payload: { query?: string; documentId?: unknown; extensions?: Record<string, unknown> | null },
): string | GraphQLError {
  const id = operationIdOf(payload as GraphQLParams & { documentId?: unknown });
  if (id) return options.manifest.get(id) ?? notFound();
  if (payload.query && (options.mode === "allow" || options.mayRunDocuments)) return payload.query;
  return required();
}
