import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { freePort } from "./support/free-port.js";
import { until } from "./support/webhooks.js";
import { LOCK_FILE } from "../src/db/lock.js";
import { SERVE_ARGS, SERVE_COMMAND } from "./support/serve-command.js";

/**
 * A real server process, stopped the way an orchestrator or a terminal stops
 * it: SIGTERM while a WebSocket subscription, a server-sent-events stream and
 * a request are open; and `npm start` whose npm is killed outright.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Starting means migrating a fresh embedded database: slow on a busy machine. */
const START_MS = 180_000;

interface ServerProcess {
  child: ChildProcess;
  dataDir: string;
  lines: string[];
  /** Pino records, parsed. */
  records(): Record<string, any>[];
  exited: Promise<number | null>;
  /** Resolves when stdout and stderr are closed: every process that held them is gone. */
  outputClosed: Promise<void>;
}

const started: ServerProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  if (process.env.SHUTDOWN_TEST_DEBUG) for (const p of started) console.log(p.lines.join("\n"));
  // The whole process group: npm, its shell, tsx and the server.
  for (const p of started) {
    try {
      process.kill(-p.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function launch(command: string, args: string[], env: Record<string, string>): ServerProcess {
  const { DATABASE_URL: _d, REDIS_URL: _r, ELASTICSEARCH_URL: _e, ...inherited } = process.env;
  const dataDir = mkdtempSync(path.join(tmpdir(), "deskgraph-shutdown-"));
  dirs.push(dataDir);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...inherited, DATA_DIR: dataDir, HOST: "127.0.0.1", LOG_LEVEL: "info", RETENTION_SWEEP_MINUTES: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // A group of its own, so that the test can end every process it started.
    detached: true,
  });
  const lines: string[] = [];
  const closed: Promise<void>[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = "";
    stream.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString("utf8")).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    });
    closed.push(new Promise((resolve) => stream.once("close", () => resolve())));
  }
  const records = () =>
    lines.flatMap((l) => {
      if (!l.startsWith("{")) return [];
      try {
        return [JSON.parse(l) as Record<string, any>];
      } catch {
        return [];
      }
    });
  const p = {
    child,
    dataDir,
    lines,
    records,
    exited: new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))),
    outputClosed: Promise.all(closed).then(() => {}),
  };
  started.push(p);
  return p;
}

async function demoKey(p: ServerProcess): Promise<string> {
  await until(() => p.lines.some((l) => l.includes("Demo API key")), START_MS, "the server to start");
  return /Demo API key \(all scopes\): (\S+)/.exec(p.lines.find((l) => l.includes("Demo API key"))!)![1]!;
}

/** A graphql-ws connection with one subscription, answered by the server. */
async function openSubscription(port: number, key: string): Promise<{ closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, "graphql-transport-ws");
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const acked = new Promise<void>((resolve) =>
    socket.on("message", (m) => JSON.parse(m.toString()).type === "connection_ack" && resolve()),
  );
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${key}` } }));
  await acked;
  socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { ticketEvents { type } }" } }));
  return { closed };
}

/** A subscription over server-sent events: resolves with everything it received once the stream ends. */
async function openEventStream(port: number, key: string): Promise<{ text: Promise<string> }> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: "subscription { ticketEvents { type } }" }),
  });
  expect(res.status).toBe(200);
  // Wrapped: an async function returning the promise itself would wait for it.
  return { text: res.text() };
}

/**
 * A POST whose headers the server has (it answered `100 Continue`) and whose
 * body is still to come: a request under way for as long as the test wants.
 */
async function startRequest(port: number, key: string): Promise<{ socket: Socket; finish(): Promise<string> }> {
  const body = JSON.stringify({ query: "{ viewer { tenant { name } } }" });
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk) => (received += chunk.toString("utf8")));
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${key}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  await until(() => received.includes("100 Continue"), 30_000, "100 Continue");
  return {
    socket,
    async finish() {
      socket.write(body);
      await ended;
      return received;
    },
  };
}

describe("graceful shutdown", () => {
  it(
    "on SIGTERM: finishes the request under way, closes WebSockets with 1001 and ends event streams, logs each step, exits 0",
    async () => {
      const port = await freePort();
      const server = launch(SERVE_COMMAND, SERVE_ARGS, { PORT: String(port), SHUTDOWN_GRACE_SECONDS: "120" });
      const key = await demoKey(server);
      const subscription = await openSubscription(port, key);
      const stream = await openEventStream(port, key);
      const request = await startRequest(port, key);

      server.child.kill("SIGTERM");
      // The socket is closed while the request is still waiting for its body: sockets do not wait for requests.
      expect(await subscription.closed).toEqual({ code: 1001, reason: "Going away" });
      // The event stream ends (its subscription completes) rather than being cut.
      expect(await stream.text).toMatch(/event: complete/);
      // No new connection is taken any more.
      const refused = await new Promise<string>((resolve) => {
        const probe = connect(port, "127.0.0.1");
        probe.once("connect", () => {
          probe.destroy();
          resolve("connected");
        });
        probe.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
      });
      expect(refused).toBe("ECONNREFUSED");

      const response = await request.finish();
      expect(response).toMatch(/HTTP\/1\.1 200 OK/);
      expect(response).toMatch(/connection: close/i);
      expect(response).toContain('"tenant":{"name":');

      expect(await server.exited).toBe(0);
      const records = server.records();
      const steps = records.filter((r) => r.msg?.startsWith("shutdown step done")).map((r) => r.step);
      expect(steps).toEqual(
        expect.arrayContaining([
          "stop accepting connections",
          "websockets (closed with 1001 going away)",
          "subscription streams",
          "requests under way",
          "webhook worker",
          "event machinery and sequencer",
          "database",
        ]),
      );
      expect(steps.indexOf("requests under way")).toBeLessThan(steps.indexOf("database"));
      expect(records.find((r) => r.msg === "shutting down (SIGTERM)")).toBeTruthy();
      expect(records.find((r) => r.msg === "shutdown complete")).toBeTruthy();
      // The request finished by itself: nothing was cut off at the end of the grace period.
      expect(records.find((r) => r.msg?.includes("grace period over"))).toBeUndefined();
      // Its access log line: method, path, status, duration, request id, and no query text.
      const access = records.find((r) => r.msg === "request" && r.method === "POST" && r.status === 200);
      expect(access).toMatchObject({ path: "/graphql" });
      expect(typeof access?.requestId).toBe("string");
      expect(JSON.stringify(access)).not.toContain("viewer");
    },
    START_MS + 60_000,
  );

  it(
    "a request still under way when the grace period ends is cut off, and the log says so",
    async () => {
      const port = await freePort();
      const server = launch(SERVE_COMMAND, SERVE_ARGS, { PORT: String(port), SHUTDOWN_GRACE_SECONDS: "0" });
      const key = await demoKey(server);
      const request = await startRequest(port, key);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.records().find((r) => r.msg?.includes("grace period over"))).toMatchObject({ requests: 1, graceMs: 0 });
      request.socket.destroy();
    },
    START_MS + 60_000,
  );

  it(
    "a SIGTERM while it starts lets the start finish, then shuts down in order and frees the data directory",
    async () => {
      const server = launch(SERVE_COMMAND, SERVE_ARGS, { PORT: String(await freePort()) });
      // Logged while the server is being put together, before it listens.
      await until(() => server.lines.some((l) => l.includes("attachment files are kept by")), START_MS, "the server to start");
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.records().find((r) => r.msg === "shutting down (SIGTERM)")).toBeTruthy();
      expect(server.records().find((r) => r.msg === "shutdown complete")).toBeTruthy();
      expect(existsSync(path.join(server.dataDir, LOCK_FILE))).toBe(false);
    },
    START_MS + 60_000,
  );

  it(
    "started with `npm start`, the server stops when npm is killed",
    async () => {
      const port = await freePort();
      const npm = launch("npm", ["start", "--silent"], { PORT: String(port) });
      await demoKey(npm);
      // SIGKILL cannot be passed on: npm is gone, its children are left behind.
      npm.child.kill("SIGKILL");
      // Every process that held npm's output is gone once the output closes.
      await npm.outputClosed;
      const stop = npm.records().find((r) => typeof r.msg === "string" && r.msg.startsWith("shutting down ("));
      expect(stop?.reason).toMatch(/exited/);
      expect(npm.records().find((r) => r.msg === "shutdown complete")).toBeTruthy();
    },
    START_MS + 60_000,
  );
});
