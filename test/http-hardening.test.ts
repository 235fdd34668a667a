import { request as httpRequest } from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { getIntrospectionQuery, parse, print, validate, type DocumentNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { schema } from "../src/graphql/schema.js";
import { queryShapeRule } from "../src/graphql/query-limits.js";
import { codes, startApp, type TestApp, type TestTenant } from "./support/app.js";
import * as operations from "./gql/graphql.js";

const CREATE_TICKET = `mutation { createTicket(input: { subject: "csrf", body: "sent by another site", requester: { name: "X", email: "x@example.com" } }) { id } }`;
const TICKET_COUNT = `{ tickets(first: 1) { totalCount } }`;
const DEEP_INTROSPECTION = `{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }`;

let dev: TestApp; // development defaults, small body limit
let prod: TestApp; // NODE_ENV=production, an origin allow-list, small query limits
let open: TestApp; // DESKGRAPH_MODE=production with GraphiQL and introspection turned on
let devTenant: TestTenant;
let prodTenant: TestTenant;

beforeAll(async () => {
  [dev, prod, open] = await Promise.all([
    startApp({ MAX_BODY_BYTES: "4096" }),
    startApp({
      NODE_ENV: "production",
      CORS_ORIGINS: "https://desk.example.com, https://portal.example.com",
      MAX_QUERY_DEPTH: "6",
      MAX_QUERY_ALIASES: "2",
      MAX_QUERY_DIRECTIVES: "2",
      MAX_QUERY_TOKENS: "300",
    }),
    startApp({ DESKGRAPH_MODE: "production", GRAPHIQL: "true", INTROSPECTION: "true" }),
  ]);
  [devTenant, prodTenant] = await Promise.all([dev.tenant(), prod.tenant()]);
  // Three servers with a database each: slow to start on a busy machine.
}, 180_000);
afterAll(() => Promise.all([dev?.close(), prod?.close(), open?.close()]));

const post = (app: TestApp, body: BodyInit, headers: Record<string, string> = {}) => fetch(app.url, { method: "POST", body, headers });
const errorCode = async (res: Response) =>
  ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code;

describe("request body limit (MAX_BODY_BYTES)", () => {
  const padded = (bytes: number) => JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(bytes) } });

  it("answers a body within the limit", async () => {
    const res = await post(dev, padded(3000), { "content-type": "application/json" });
    expect(res.status).toBe(200);
  });

  it("refuses a larger body by its Content-Length with 413", async () => {
    const res = await post(dev, padded(5000), { "content-type": "application/json" });
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe("REQUEST_ENTITY_TOO_LARGE");
  });

  it("refuses a streamed body without Content-Length once it passes the limit, before it ends", async () => {
    // The body is written 1 KiB at a time and never ended until the answer comes: a server that
    // buffered the whole body before counting would not answer while it is still open.
    const url = new URL(dev.url);
    const result = await new Promise<{ status: number; body: string; endedFirst: boolean; written: number }>((resolve, reject) => {
      let ended = false;
      let answered = false;
      let written = 0;
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        },
        (res) => {
          answered = true;
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c) => (body += c));
          res.on("end", () => {
            resolve({ status: res.statusCode!, body, endedFirst: ended, written });
            req.destroy();
          });
        },
      );
      req.on("error", (err) => (written > 0 ? undefined : reject(err)));
      req.write(`{"query":"{ __typename }","variables":{"pad":"`);
      const chunk = "x".repeat(1024);
      const writeMore = () => {
        if (answered || req.destroyed) return;
        // 1 MiB is far past the 4 KiB limit: if no answer came by then, end the body and let the test fail.
        if (written >= 1024 * 1024) {
          ended = true;
          req.end(`"}}`);
          return;
        }
        written += chunk.length;
        req.write(chunk, () => setImmediate(writeMore));
      };
      writeMore();
    });
    expect(result.status).toBe(413);
    expect(result.endedFirst).toBe(false);
    expect(JSON.parse(result.body).errors[0].extensions.code).toBe("REQUEST_ENTITY_TOO_LARGE");
  });
});

describe("only GraphQL over HTTP runs operations", () => {
  const refused: [string, () => { body: BodyInit; headers: Record<string, string> }][] = [
    ["application/x-www-form-urlencoded", () => ({ body: new URLSearchParams({ query: CREATE_TICKET }), headers: {} })],
    [
      "multipart/form-data without a header that needs a preflight",
      () => {
        const form = new FormData();
        form.set("operations", JSON.stringify({ query: CREATE_TICKET }));
        form.set("map", "{}");
        return { body: form, headers: {} };
      },
    ],
    ["text/plain", () => ({ body: JSON.stringify({ query: CREATE_TICKET }), headers: { "content-type": "text/plain" } })],
    ["application/graphql", () => ({ body: CREATE_TICKET, headers: { "content-type": "application/graphql" } })],
    ["no content type", () => ({ body: new Blob([JSON.stringify({ query: CREATE_TICKET })]), headers: {} })],
  ];

  it.each(refused)("refuses a POST of %s with 415 and runs nothing", async (_type, make) => {
    const { body, headers } = make();
    const res = await post(dev, body, { authorization: `Bearer ${devTenant.ownerToken}`, ...headers });
    expect(res.status).toBe(415);
    expect(await errorCode(res)).toBe("UNSUPPORTED_MEDIA_TYPE");
    const count = await dev.gql(TICKET_COUNT, {}, devTenant.ownerToken);
    expect(count.data.tickets.totalCount).toBe(0);
  });

  it("runs a JSON POST, also when the client accepts application/graphql-response+json", async () => {
    const res = await post(dev, JSON.stringify({ query: "{ __typename }" }), {
      "content-type": "application/json; charset=utf-8",
      accept: "application/graphql-response+json",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/graphql-response\+json/);
    expect(await res.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("runs a query over GET, and refuses a mutation or subscription over GET with 405", async () => {
    const query = await fetch(`${dev.url}?query=${encodeURIComponent("{ __typename }")}`);
    expect(query.status).toBe(200);
    const mutation = await fetch(`${dev.url}?query=${encodeURIComponent(CREATE_TICKET)}`, {
      headers: { authorization: `Bearer ${devTenant.ownerToken}` },
    });
    expect(mutation.status).toBe(405);
    expect(mutation.headers.get("allow")).toBe("POST");
    expect(await errorCode(mutation)).toBe("METHOD_NOT_ALLOWED");
    const subscribe = `${dev.url}?query=${encodeURIComponent("subscription { ticketEvents { __typename } }")}`;
    const subscription = await fetch(subscribe, { headers: { authorization: `Bearer ${devTenant.ownerToken}` } });
    expect(subscription.status).toBe(405);
    expect(await errorCode(subscription)).toBe("METHOD_NOT_ALLOWED");
    // Asked for as server-sent events, the refusal comes as the stream's one event.
    const sse = await fetch(subscribe, { headers: { accept: "text/event-stream", authorization: `Bearer ${devTenant.ownerToken}` } });
    expect(await sse.text()).toContain('"code":"METHOD_NOT_ALLOWED"');
  });
});

describe("CORS", () => {
  const preflight = (app: TestApp, origin?: string) =>
    fetch(app.url, {
      method: "OPTIONS",
      headers: {
        ...(origin ? { origin } : {}),
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
  const fromOrigin = (app: TestApp, origin: string) =>
    post(app, JSON.stringify({ query: "{ __typename }" }), { "content-type": "application/json", origin });

  it("in development lets any origin call, as *, never with credentials", async () => {
    const pre = await preflight(dev, "https://anywhere.example");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
    const res = await fromOrigin(dev, "https://anywhere.example");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("with CORS_ORIGINS answers the listed origins only, echoing the origin", async () => {
    const pre = await preflight(prod, "https://portal.example.com");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://portal.example.com");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(pre.headers.get("vary")).toContain("Origin");
    const res = await fromOrigin(prod, "https://desk.example.com");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://desk.example.com");
    expect(res.headers.get("vary")).toContain("Origin");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("refuses the preflight of an origin not listed, and sends it no CORS headers", async () => {
    for (const origin of ["https://evil.example", "https://desk.example.com.evil.example", "http://desk.example.com"]) {
      const pre = await preflight(prod, origin);
      expect(pre.status).toBe(403);
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      const res = await fromOrigin(prod, origin);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("sends no CORS headers in production without CORS_ORIGINS", async () => {
    const pre = await preflight(open, "https://desk.example.com");
    expect(pre.status).toBe(403);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const res = await fromOrigin(open, "https://desk.example.com");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers an OPTIONS that is no preflight with the methods it takes", async () => {
    const res = await preflight(prod);
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, POST, OPTIONS");
  });
});

describe("production mode", () => {
  const graphiql = (app: TestApp) => fetch(app.url, { headers: { accept: "text/html" } });

  it("serves GraphiQL in development, with its assets in the page instead of from a CDN", async () => {
    const res = await graphiql(dev);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("renderYogaGraphiQL");
    expect(html).toContain("FirstQuery");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
    expect(html).not.toContain("unpkg.com");
  });

  it("serves no GraphiQL in production, unless GRAPHIQL=true", async () => {
    const off = await graphiql(prod);
    expect(await off.text()).not.toContain("renderYogaGraphiQL");
    const on = await graphiql(open);
    expect(on.status).toBe(200);
    expect(await on.text()).toContain("renderYogaGraphiQL");
  });

  it("refuses introspection to anonymous callers, and lets agents and API keys introspect", async () => {
    const anonymous = await prod.gql(`{ __schema { queryType { name } } }`);
    expect(codes(anonymous)).toEqual(["UNAUTHENTICATED"]);
    expect(anonymous.data ?? null).toBeNull();
    const hidden = await prod.gql(`query { ...T } fragment T on Query { __type(name: "Ticket") { name } }`);
    expect(codes(hidden)).toEqual(["UNAUTHENTICATED"]);
    const agent = await prod.gql(`{ __schema { queryType { name } } }`, {}, prodTenant.ownerToken);
    expect(agent.data.__schema.queryType.name).toBe("Query");
    const key = await prod.apiKey(prodTenant, ["TICKETS_READ"]);
    const byKey = await prod.gql(`{ __type(name: "Ticket") { name } }`, {}, key);
    expect(byKey.data.__type.name).toBe("Ticket");
    expect((await prod.gql(`{ __typename }`)).data.__typename).toBe("Query");
  });

  it("refuses introspection to a portal contact", async () => {
    const created = await prod.gql(
      `mutation { createTicket(input: { subject: "Portal", body: "hello", requester: { name: "Pia", email: "pia@example.com" } }) { requester { id } } }`,
      {},
      prodTenant.ownerToken,
    );
    const issued = await prod.gql(
      `mutation($c: ID!) { issuePortalToken(contactId: $c, validForDays: 1) { token } }`,
      { c: created.data.createTicket.requester.id },
      prodTenant.ownerToken,
    );
    const contactToken = issued.data.issuePortalToken.token;
    expect((await prod.gql(`{ viewer { kind } }`, {}, contactToken)).data.viewer.kind).toBe("CONTACT");
    expect(codes(await prod.gql(`{ __schema { queryType { name } } }`, {}, contactToken))).toEqual(["FORBIDDEN"]);
  });

  it("lets everyone introspect with INTROSPECTION=true, and in development", async () => {
    for (const app of [open, dev]) {
      const r = await app.gql(getIntrospectionQuery());
      expect(r.errors).toBeUndefined();
      expect(r.data.__schema.queryType.name).toBe("Query");
    }
  });

  it("leaves 'Did you mean' out of errors in production, unless INTROSPECTION=true", async () => {
    const typo = `{ tickets(first: 1) { totalCont } }`;
    const enumTypo = `query($s: [TicketStatus!]) { tickets(first: 1, filter: { status: $s }) { totalCount } }`;
    const hidden = await prod.gql(typo, {}, prodTenant.ownerToken);
    expect(codes(hidden)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(hidden.errors![0]!.message).toContain("totalCont");
    expect(hidden.errors![0]!.message).not.toMatch(/Did you mean/);
    const hiddenEnum = await prod.gql(enumTypo, { s: ["OPNE"] }, prodTenant.ownerToken);
    expect(codes(hiddenEnum)).toEqual(["VALIDATION"]);
    expect(hiddenEnum.errors![0]!.message).not.toMatch(/Did you mean/);
    expect((await open.gql(typo)).errors![0]!.message).toMatch(/Did you mean "totalCount"\?/);
    expect((await dev.gql(enumTypo, { s: ["OPNE"] }, devTenant.ownerToken)).errors![0]!.message).toMatch(
      /Did you mean the enum value "OPEN"\?/,
    );
  });
});

describe("query limits", () => {
  it("refuses more aliases than MAX_QUERY_ALIASES, counting fragments", async () => {
    const r = await prod.gql(`{ a: __typename ...F } fragment F on Query { b: __typename c: __typename }`, {}, prodTenant.ownerToken);
    expect(codes(r)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(r.errors![0]!.extensions).toMatchObject({ kind: "ALIASES", actual: 3, max: 2 });
    expect(codes(await prod.gql(`{ a: __typename b: __typename }`, {}, prodTenant.ownerToken))).toEqual([]);
  });

  it("refuses more directives than MAX_QUERY_DIRECTIVES", async () => {
    const r = await prod.gql(
      `{ __typename @include(if: true) @skip(if: false) a: __typename @include(if: true) }`,
      {},
      prodTenant.ownerToken,
    );
    expect(codes(r)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(r.errors![0]!.extensions).toMatchObject({ kind: "DIRECTIVES", actual: 3, max: 2 });
  });

  it("refuses a document of more than MAX_QUERY_TOKENS tokens before parsing it whole", async () => {
    const r = await prod.gql(`{ ${"__typename ".repeat(400)} }`, {}, prodTenant.ownerToken);
    expect(codes(r)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(r.errors![0]!.extensions).toMatchObject({ kind: "TOKENS", max: 300 });
  });

  it("refuses introspection nested deeper than MAX_QUERY_DEPTH, even for an agent", async () => {
    // graphql-js's own MaxIntrospectionDepthRule may refuse it as well.
    const r = await prod.gql(DEEP_INTROSPECTION, {}, prodTenant.ownerToken);
    expect(r.data ?? null).toBeNull();
    const depth = r.errors!.find((e) => e.extensions?.code === "QUERY_TOO_COMPLEX");
    expect(depth?.extensions).toMatchObject({ kind: "DEPTH", actual: 9, max: 6 });
  });

  it("the defaults pass GraphiQL's introspection query, the README's operations and the test operations", () => {
    const { limits } = loadConfig({ DATA_DIR: "memory://" });
    const rule = queryShapeRule(limits);
    const docs = ["README.md", ...readdirSync(new URL("../docs/", import.meta.url)).map((f) => `docs/${f}`)];
    const readme = docs
      .flatMap((file) => [...readFileSync(new URL(`../${file}`, import.meta.url), "utf8").matchAll(/```graphql\n([\s\S]*?)```/g)])
      .map((m) => m[1]!)
      .filter((text) => /^\s*(query|mutation|subscription|\{)/.test(text));
    const introspection = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const codegen = Object.values(operations as Record<string, unknown>)
      .filter((v): v is DocumentNode => (v as DocumentNode | null)?.kind === "Document")
      .map((d) => print(d));
    expect(codegen.length).toBeGreaterThan(3);
    const all = [introspection, ...readme, ...codegen];
    expect(readme.length).toBeGreaterThan(5);
    for (const text of all) {
      const limitErrors = validate(schema, parse(text, { maxTokens: limits.tokens }), [rule]);
      expect(
        limitErrors.map((e) => e.message),
        text.slice(0, 80),
      ).toEqual([]);
    }
    // And the rule does measure them: a limit of 1 refuses the introspection query's depth.
    expect(validate(schema, parse(introspection), [queryShapeRule({ ...limits, depth: 1 })])).toHaveLength(1);
  });
});

describe("configuration", () => {
  const base = { DATA_DIR: "memory://" };

  it("decides production mode in one place: DESKGRAPH_MODE, else NODE_ENV", () => {
    expect(loadConfig(base).production).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: "production" }).production).toBe(true);
    expect(loadConfig({ ...base, DESKGRAPH_MODE: "production" }).production).toBe(true);
    expect(loadConfig({ ...base, NODE_ENV: "production", DESKGRAPH_MODE: "development" }).production).toBe(false);
  });

  it("has safe HTTP defaults in production and open ones in development", () => {
    expect(loadConfig({ ...base, NODE_ENV: "production" }).http).toEqual({
      maxBodyBytes: 1048576,
      corsOrigins: [],
      graphiql: false,
      introspection: false,
    });
    expect(loadConfig(base).http).toEqual({ maxBodyBytes: 1048576, corsOrigins: "*", graphiql: true, introspection: true });
  });

  it("takes exact origins or * alone in CORS_ORIGINS, and names what is wrong", () => {
    expect(loadConfig({ ...base, CORS_ORIGINS: "https://a.example, http://localhost:5173" }).http.corsOrigins).toEqual([
      "https://a.example",
      "http://localhost:5173",
    ]);
    expect(loadConfig({ ...base, NODE_ENV: "production", CORS_ORIGINS: "*" }).http.corsOrigins).toBe("*");
    expect(() => loadConfig({ ...base, CORS_ORIGINS: "*, https://a.example" })).toThrow(/CORS_ORIGINS.*cannot be combined/);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: "https://a.example/" })).toThrow(
      /CORS_ORIGINS: https:\/\/a.example\/: each must be an exact origin/,
    );
    expect(() => loadConfig({ ...base, CORS_ORIGINS: "a.example" })).toThrow(/CORS_ORIGINS/);
  });
});
