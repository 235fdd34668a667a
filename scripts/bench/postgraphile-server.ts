// PostGraphile 5 as a peer of Deskgraph (bench:compare): its Amber preset over
// the same tables, in a process of its own. It serves the schema PostGraphile
// derives from the database as it is, with no authentication, no row-level
// security and no audit; POSTGRAPHILE_TICKETS_PAGE (operations.ts) asks it for
// the same page Deskgraph serves.
import { createServer } from "node:http";
import { childSpec, listenAndReport } from "./child-report.js";
import { countPgStatements } from "./count-statements.js";

// PostGraphile 5 declares node >= 22: grafast, grafserv and @dataplan/pg call
// Promise.withResolvers, which Node 20 lacks (nothing else of Node 22 is used).
// The polyfill has to be in place before their modules load, hence the dynamic
// imports below rather than static ones.
const promise = Promise as unknown as { withResolvers?: () => unknown };
promise.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const p = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise: p, resolve, reject };
};

// Production mode, as a deployment runs it (and without its notice saying so at start).
process.env.GRAPHILE_ENV ??= "production";
const statements = countPgStatements();
const { databaseUrl } = childSpec<{ databaseUrl: string }>();

const { postgraphile } = await import("postgraphile");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");
const { grafserv } = await import("postgraphile/grafserv/node");

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  // pg's default pool of 10, as Deskgraph and the raw server have; no LISTEN connection for subscriptions.
  pgServices: [makePgService({ connectionString: databaseUrl, schemas: ["public"], pubsub: false })],
  grafserv: { graphiql: false, watch: false },
});
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server);
await listenAndReport(server, "/graphql", statements, async () => pgl.release());
