import { randomBytes } from "node:crypto";
import { print, type DocumentNode } from "graphql";
import pg from "pg";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { loadConfig } from "../../src/config.js";
import { openDatabase, type Database } from "../../src/db/database.js";
import { createServer, type RunningServer } from "../../src/server.js";
import { createTenant } from "../../src/tenants/service.js";
import { graphql } from "../gql/index.js";
import { shippedPlugins } from "../../plugins/index.js";
import type { AnyPlugin } from "../../src/plugin-host/plugin.js";
import { echoPlugin } from "./echo-plugin.js";
import { giveBack, noteMigrated, takeEmbedded } from "./embedded-pool.js";
import type { ApiScope } from "../gql/graphql.js";

const SignIn = graphql(`
  mutation SignIn($tenant: String!, $email: String!, $password: String!) {
    signIn(tenant: $tenant, email: $email, password: $password) { token expiresAt agent { id role } }
  }
`);
const InviteAgent = graphql(`
  mutation InviteAgent($input: InviteAgentInput!) { inviteAgent(input: $input) { invitationToken agent { id } } }
`);
const AcceptInvitation = graphql(`
  mutation AcceptInvitation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { token } }
`);
const CreateApiKey = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix } } }
`);

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
  headers: Headers;
}

export interface TestTenant {
  id: string;
  slug: string;
  ownerId: string;
  ownerToken: string;
  ownerEmail: string;
  password: string;
}

export interface TestApp {
  server: RunningServer;
  database: Database;
  url: string;
  /** Sends a query over HTTP, exactly as a client would. */
  gql<T = any, V = Record<string, unknown>>(
    query: string | DocumentNode | TypedDocumentNode<T, V>,
    variables?: V,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** A fresh tenant with a signed-in owner. */
  tenant(slug?: string): Promise<TestTenant>;
  /** Signs in and returns a session token. */
  signIn(tenant: string, email: string, password: string): Promise<string>;
  /** Invites an agent with a role, accepts the invitation, returns a session token and the agent's global ID. */
  agent(t: TestTenant, role: "OWNER" | "ADMIN" | "AGENT" | "VIEWER"): Promise<{ token: string; id: string }>;
  /** Resolves once what was committed so far is numbered: audit entries and events (of one tenant, or all). */
  sequenced(t?: { id: string }): Promise<void>;
  /** Resolves once what was committed so far is numbered and the event consumers (webhook fan-out, plugins' hooks) had a pass at it. */
  consumed(t?: { id: string }): Promise<void>;
  /** Creates an API key with scopes (ApiScope enum values) and returns its secret. */
  apiKey(t: TestTenant, scopes: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the real server on an ephemeral port over a database of its own:
 * in-memory PGlite, or a fresh database on the PostgreSQL server named by
 * DATABASE_URL (dropped again on close).
 */
export interface StartOptions {
  /** Plugins to load; by default the shipped ones plus the test echo plugin. */
  plugins?: AnyPlugin[];
}

export async function startApp(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestApp> {
  const serverUrl = process.env.DATABASE_URL;
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (serverUrl) {
    const name = `deskgraph_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: "memory://",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    RETENTION_SWEEP_MINUTES: "0",
    // Tests run the metrics refresher when they mean to (server.metricsRefreshed), not on a timer.
    METRICS_REFRESH_SECONDS: "0",
    // Requests a test leaves open are cut off at close after this, not after the production default.
    SHUTDOWN_GRACE_SECONDS: "1",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  // An in-memory embedded database is handed on to the worker's next file when this one closes.
  const embedded = !config.databaseUrl && config.dataDir === "memory://" ? takeEmbedded() : undefined;
  const database = await openDatabase({ ...config, embedded, countStatements: true });
  await database.migrate();
  if (embedded) await noteMigrated(embedded);
  const server = await createServer(config, { database, plugins: options.plugins ?? [...shippedPlugins, echoPlugin()] });

  const gql: TestApp["gql"] = async (query, variables, token, headers = {}) => {
    const operation = { query: typeof query === "string" ? query : print(query), variables };
    const files = filesIn(variables);
    const res = await fetch(server.url, {
      method: "POST",
      headers: {
        // Files go as the GraphQL multipart request spec has them, with a header that needs a preflight.
        ...(files.length ? { "graphql-require-preflight": "1" } : { "content-type": "application/json" }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: files.length ? multipartBody(operation, files) : JSON.stringify(operation),
    });
    const body = (await res.json()) as { data?: any; errors?: any[] };
    return { status: res.status, data: body.data, errors: body.errors, headers: res.headers };
  };

  const signIn = async (tenant: string, email: string, password: string) => {
    const r = await gql(SignIn, { tenant, email, password });
    if (!r.data?.signIn) throw new Error(`sign-in failed: ${JSON.stringify(r.errors)}`);
    return r.data.signIn.token;
  };

  let tenants = 0;
  const app: TestApp = {
    server,
    database,
    url: server.url,
    gql,
    signIn,
    sequenced: (t) => server.sequenced(t?.id),
    consumed: (t) => server.consumed(t?.id),
    async tenant(slug = `t${++tenants}-${randomBytes(3).toString("hex")}`) {
      const password = "correct horse battery staple";
      const ownerEmail = `owner@${slug}.test`;
      const { tenant, owner } = await createTenant(database, {
        name: `Tenant ${slug}`,
        slug,
        owner: { email: ownerEmail, name: "Owner", password },
      });
      return { id: tenant.id, slug, ownerId: owner.id, ownerEmail, password, ownerToken: await signIn(slug, ownerEmail, password) };
    },
    async agent(t, role) {
      const email = `${role.toLowerCase()}-${randomBytes(3).toString("hex")}@${t.slug}.test`;
      const invite = await gql(InviteAgent, { input: { email, name: `${role} person`, role } }, t.ownerToken);
      if (!invite.data) throw new Error(JSON.stringify(invite.errors));
      const accepted = await gql(AcceptInvitation, { token: invite.data.inviteAgent.invitationToken, password: "a long enough password" });
      if (!accepted.data) throw new Error(JSON.stringify(accepted.errors));
      return { token: accepted.data.acceptInvitation.token, id: invite.data.inviteAgent.agent.id };
    },
    async apiKey(t, scopes) {
      const r = await gql(CreateApiKey, { input: { name: "test key", scopes: scopes as ApiScope[] } }, t.ownerToken);
      if (!r.data) throw new Error(JSON.stringify(r.errors));
      return r.data.createApiKey.secret;
    },
    async close() {
      // A close that hangs says what it waits on, before the hook's timeout hides it.
      let phase = "server.close";
      const slow = setTimeout(
        () => console.error(`[test app] close has taken 20 s, in ${phase}; still active: ${process.getActiveResourcesInfo().join(", ")}`),
        20_000,
      );
      try {
        await server.close();
        phase = "database.close";
        await database.close();
        if (embedded) await giveBack(embedded);
        phase = "dropping the database";
        await dropDatabase();
      } finally {
        clearTimeout(slow);
      }
    },
  };
  return app;
}

/** The `extensions.code` of each error, in order. */
export const codes = (r: GraphQLResponse) => (r.errors ?? []).map((e) => e.extensions?.code);

/** The Files among the variables, with their paths ("variables.input.file"). */
function filesIn(value: unknown, path = "variables"): { path: string; file: File }[] {
  if (value instanceof File) return [{ path, file: value }];
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => filesIn(v, `${path}.${key}`));
}

/** operations (files as null), map, then one part per file: the GraphQL multipart request spec. */
function multipartBody(operation: { query: string; variables?: unknown }, files: { path: string; file: File }[]): FormData {
  const form = new FormData();
  form.set(
    "operations",
    JSON.stringify(operation, (_key, v) => (v instanceof File ? null : v)),
  );
  form.set("map", JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  for (const [i, f] of files.entries()) form.set(String(i), f.file);
  return form;
}
