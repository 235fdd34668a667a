import type { Server } from "node:http";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Database } from "../db/database.js";
import type { AuthenticateOptions } from "../auth/viewer.js";
import type { SocketObserver } from "../observability/metrics.js";
import { serviceUnavailable } from "../errors.js";
import { CredentialRecheck } from "./credentials.js";

const RECHECK_MS = 2000;
/** RFC 6455 "Try Again Later": graphql-ws clients reconnect on it (4500 would make them give up). */
const TRY_AGAIN_LATER = 1013;
/** At shutdown, how long clients have to answer the closing handshake before their sockets are cut. */
const CLOSE_HANDSHAKE_MS = 2000;

/** The error as a WebSocket client sees it: no HTTP status or headers to carry. */
function forSocket(err: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = err.extensions ?? {};
  return new GraphQLError(err.message, { extensions });
}

/** The credential a graphql-ws client sends in its connection_init payload. */
export const authorizationOf = (params: Record<string, unknown> | undefined | null): string | null => {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === "string" ? value : null;
};

/**
 * GraphQL over WebSocket (the graphql-ws protocol) on the same URL as HTTP,
 * through yoga's envelop: same schema, plugins, context and limits. The
 * client authenticates in connection_init ({ authorization: "Bearer …" });
 * unknown credentials close the socket with 4403. While open, the credential
 * is checked again every two seconds; once revoked (key revoked, agent
 * disabled, token expired) the socket closes with 4403 "Credentials revoked".
 * While the database is away a new socket closes with 1013 (try again later)
 * and a new operation fails with SERVICE_UNAVAILABLE; open subscriptions stay.
 */
/** Which document an operation runs (persisted operations), or why it may not: see src/graphql/persisted-operations.ts. */
export type SocketDocument = (
  payload: { query?: string; extensions?: Record<string, unknown> | null },
  contextValue: unknown,
) => string | GraphQLError;

export function serveWebSockets(
  http: Server,
  yoga: YogaServerInstance<any, any>,
  database: Database,
  auth: AuthenticateOptions = {},
  documentOf: SocketDocument = (payload) => payload.query ?? "",
  observe?: SocketObserver,
) {
  const wss = new WebSocketServer({ server: http, path: "/graphql" });
  const timers = new Set<NodeJS.Timeout>();
  const credentials = new CredentialRecheck(database, auth);
  // Per socket: what ends each operation under way (by graphql-ws id), for the metrics.
  const server = useServer<Record<string, unknown>, { timer?: NodeJS.Timeout; operations?: Map<string, () => void> }>(
    {
      onConnect: async (ctx) => {
        const header = authorizationOf(ctx.connectionParams);
        // The credential cannot be checked while the database is away: that is no refusal (4403).
        const unavailable = () => {
          ctx.extra.socket.close(TRY_AGAIN_LATER, "Database unavailable; try again later");
          return false;
        };
        if (!database.health.available) return unavailable();
        const checked = await credentials.check(header).catch((err: unknown) => {
          if (database.health.isOutage(err)) return null;
          throw err;
        });
        if (!checked) return unavailable();
        if (!checked.viewer) return false;
        const timer = setInterval(async () => {
          // A database hiccup is not a revocation.
          const again = await credentials.check(header).catch(() => ({ viewer: "unknown" as const }));
          if (!again.viewer) ctx.extra.socket.close(4403, "Credentials revoked");
        }, RECHECK_MS);
        timer.unref();
        timers.add(timer);
        ctx.extra.timer = timer;
        ctx.extra.operations = new Map();
        observe?.opened();
        return true;
      },
      onClose: (ctx) => {
        if (ctx.extra.timer) {
          clearInterval(ctx.extra.timer);
          timers.delete(ctx.extra.timer);
        }
        if (ctx.extra.operations) {
          for (const end of ctx.extra.operations.values()) end();
          observe?.closed();
        }
      },
      onComplete: (ctx, id) => {
        ctx.extra.operations?.get(id)?.();
        ctx.extra.operations?.delete(id);
      },
      execute: (args) => (args.rootValue as { execute(a: ExecutionArgs): unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe(a: ExecutionArgs): unknown }).subscribe(args) as never,
      onSubscribe: async (ctx, id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let contextValue: unknown;
        try {
          contextValue = await contextFactory();
        } catch (err) {
          // The database is away: this operation fails with SERVICE_UNAVAILABLE; the socket and the
          // subscriptions already open on it stay (those resume by themselves when it is back).
          if (err instanceof GraphQLError) return [forSocket(err)];
          if (database.health.isOutage(err)) return [forSocket(serviceUnavailable())];
          throw err;
        }
        const query = documentOf(payload, contextValue);
        if (query instanceof GraphQLError) return [forSocket(query)];
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(query),
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        if (observe) ctx.extra.operations?.set(id, observe.operation(args.document, args.operationName));
        return args;
      },
    },
    wss,
  );
  return {
    /**
     * Closes every socket with 1001 (going away), which graphql-ws clients take as a
     * reason to reconnect (to another instance, behind a load balancer), and stops
     * taking new ones. A client that does not answer the closing handshake is cut off.
     */
    async close() {
      for (const t of timers) clearInterval(t);
      const disposed = server.dispose();
      const cutOff = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, CLOSE_HANDSHAKE_MS);
      cutOff.unref();
      await disposed;
      clearTimeout(cutOff);
    },
  };
}
