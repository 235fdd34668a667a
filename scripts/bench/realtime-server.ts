// One server instance on a thread of its own (started by bench-realtime.ts), so
// that two instances, and the subscribers, do not share one event loop.
// With `seed`, it also prepares the tenant the bench writes to: an owner, a
// partner API key for the subscribers and one ticket to update.
import { parentPort, workerData } from "node:worker_threads";

// The compiled build, as `npm start` runs it (bench-realtime.ts builds it first), so that the
// TypeScript loader's work is not counted as the server's. A path in a variable: the type
// checker, which runs before any build, takes the types from src/.
const BUILD = "../../dist/src/";
const { loadConfig } = (await import(`${BUILD}config.js`)) as typeof import("../../src/config.js");
const { openDatabase } = (await import(`${BUILD}db/database.js`)) as typeof import("../../src/db/database.js");
const { createServer } = (await import(`${BUILD}server.js`)) as typeof import("../../src/server.js");
const { createTenant } = (await import(`${BUILD}tenants/service.js`)) as typeof import("../../src/tenants/service.js");

export interface ServerSpec {
  env: Record<string, string>;
  seed: boolean;
}

export interface ServerReady {
  url: string;
  /** Present when seeded. */
  ownerToken?: string;
  apiKey?: string;
  ticketId?: string;
}

const spec = workerData as ServerSpec;
const config = loadConfig({
  PORT: "0",
  HOST: "127.0.0.1",
  DATA_DIR: "memory://",
  LOG_LEVEL: "silent",
  RETENTION_SWEEP_MINUTES: "0",
  ...spec.env,
});
const database = await openDatabase(config);
await database.migrate();
const server = await createServer(config, { database });

async function gql(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (!body.data || body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const ready: ServerReady = { url: server.url };
if (spec.seed) {
  const password = "bench password, long enough";
  await createTenant(database, { name: "Bench", slug: "bench", owner: { email: "owner@bench.test", name: "Owner", password } });
  ready.ownerToken = (
    await gql(`mutation($p: String!) { signIn(tenant: "bench", email: "owner@bench.test", password: $p) { token } }`, { p: password })
  ).signIn.token;
  ready.apiKey = (
    await gql(`mutation { createApiKey(input: { name: "partner", scopes: [TICKETS_READ] }) { secret } }`, {}, ready.ownerToken)
  ).createApiKey.secret;
  ready.ticketId = (
    await gql(`mutation { createTicket(input: { subject: "bench 0", body: "b", requester: { name: "R" } }) { id } }`, {}, ready.ownerToken)
  ).createTicket.id;
}
parentPort!.postMessage(ready);
parentPort!.on("message", async (message) => {
  if (message !== "close") return;
  await server.close();
  await database.close();
  parentPort!.postMessage("closed");
});
