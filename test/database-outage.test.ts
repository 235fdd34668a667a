import { createServer } from "node:net";
import { GraphQLError } from "graphql";
import pg from "pg";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { BackgroundLoop } from "../src/background/loop.js";
import { openDatabase } from "../src/db/database.js";
import { DatabaseHealth } from "../src/db/health.js";
import { DatabaseUnreachableError, migrateWhenReachable } from "../src/db/migrate.js";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "../src/db/unavailable.js";
import { AppError } from "../src/errors.js";
import { resumingStream } from "../src/events/resume.js";
import { until } from "./support/webhooks.js";

/**
 * The pieces a database outage goes through, one by one: the classifier on
 * the errors the stack really raises, the health, a background loop, a
 * subscription's stream. test/database-restart.test.ts has them all together
 * against a PostgreSQL server that is restarted.
 */
const silent = pino({ level: "silent" });

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A health whose probe answers as `state.up` says. */
function fakeHealth(state: { up: boolean }) {
  return new DatabaseHealth(
    async () => {
      if (!state.up) throw new DatabaseUnavailableError("down in the test");
    },
    { retryBaseMs: 10, retryCapMs: 20 },
  );
}

describe("recognising that the database is away", () => {
  it("recognises what node-postgres and Prisma raise when the server cannot be reached", async () => {
    const port = await closedPort();
    const url = `postgres://postgres@127.0.0.1:${port}/x`;
    const client = new pg.Client({ connectionString: url });
    const refused = await client.connect().then(
      () => null,
      (err: unknown) => err,
    );
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const db = await openDatabase({ databaseUrl: url, dataDir: "memory://" });
    try {
      const model = await db.prisma.tenant.findMany().then(
        () => null,
        (err: unknown) => err,
      );
      expect((model as { code?: string }).code).toBe("P1001");
      expect(isDatabaseUnavailable(model)).toBe(true);
      const raw = await db.prisma.$queryRaw`SELECT 1`.then(
        () => null,
        (err: unknown) => err,
      );
      expect(isDatabaseUnavailable(raw)).toBe(true);
      const tx = await db.prisma
        .$transaction(async (t) => t.tenant.count())
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(isDatabaseUnavailable(tx)).toBe(true);
      // Wrapped by GraphQL, as a resolver's error reaches the errors plugin.
      expect(isDatabaseUnavailable(new GraphQLError("x", { originalError: model as Error }))).toBe(true);
      // The health probe agrees, and says so.
      expect(await db.health.check()).toBe(false);
      expect(db.health.available).toBe(false);
    } finally {
      await db.close();
    }
  });

  it("recognises a server shutting down, starting up or dropping the connection, and nothing else", () => {
    // The shapes node-postgres and @prisma/adapter-pg give these (seen in the restart test).
    const pgError = (code: string) => Object.assign(new Error("x"), { code, severity: "FATAL" });
    for (const code of ["57P01", "57P02", "57P03", "08006", "08001"]) expect(isDatabaseUnavailable(pgError(code)), code).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    const adapterError = { name: "DriverAdapterError", cause: { kind: "postgres", code: "57P01", originalCode: "57P01" } };
    expect(
      isDatabaseUnavailable(Object.assign(new Error("Raw query failed"), { code: "P2010", meta: { driverAdapterError: adapterError } })),
    ).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("Server has closed the connection."), { code: "P1017" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("migration failed", { cause: pgError("57P01") }))).toBe(true);

    for (const code of ["23505", "40001", "42P01", "28P01", "P2002", "P2025"])
      expect(isDatabaseUnavailable(pgError(code)), code).toBe(false);
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable(new AppError("NOT_FOUND", "Ticket not found"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe("start-up", () => {
  it("retries an unreachable database for the window, then gives up with the reason", async () => {
    const port = await closedPort();
    const db = await openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/x`, dataDir: "memory://" });
    const retries: string[] = [];
    try {
      const failure = await migrateWhenReachable(() => db.migrate(), {
        waitMs: 300,
        retryBaseMs: 20,
        onRetry: (r) => retries.push(r.reason),
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(DatabaseUnreachableError);
      expect((failure as Error).message).toMatch(/ECONNREFUSED.*DATABASE_STARTUP_WAIT_SECONDS/);
      expect(retries.length).toBeGreaterThanOrEqual(2);
    } finally {
      await db.close();
    }
  });

  it("does not retry what waiting cannot fix", async () => {
    let attempts = 0;
    const broken = () => {
      attempts++;
      return Promise.reject(new Error("Migration 0001_init failed: syntax error"));
    };
    await expect(migrateWhenReachable(broken, { waitMs: 60_000 })).rejects.toThrow(/syntax error/);
    expect(attempts).toBe(1);
  });
});

describe("a background loop", () => {
  it("waits while the database is away, sends nothing meanwhile, and resumes when it is back", async () => {
    const state = { up: true };
    const health = fakeHealth(state);
    let passes = 0;
    const loop = new BackgroundLoop({
      name: "test loop",
      log: silent,
      health,
      idleMs: 60_000,
      async run() {
        passes++;
        if (!state.up) throw new DatabaseUnavailableError("connection refused in the test");
      },
    });
    try {
      await loop.kick();
      expect(passes).toBe(1);

      state.up = false;
      void loop.kick();
      await until(() => loop.waitingForDatabase && !health.available, 10_000, "the loop to pause");
      const whilePaused = passes;
      // Kicks while paused fold into the pass after the outage.
      void loop.kick();
      void loop.kick();
      expect(passes).toBe(whilePaused);

      state.up = true;
      await until(() => passes > whilePaused && !loop.waitingForDatabase, 10_000, "the loop to resume");
      expect(health.available).toBe(true);
    } finally {
      await loop.stop();
      health.close();
    }
  });

  it("retries other failures after its retry delay, and stops for good", async () => {
    let passes = 0;
    const loop = new BackgroundLoop({
      name: "test loop",
      log: silent,
      idleMs: 60_000,
      retryBaseMs: 5,
      retryCapMs: 10,
      async run() {
        passes++;
        if (passes < 3) throw new Error("not yet");
      },
    });
    loop.start();
    await until(() => passes >= 3, 10_000, "three passes");
    await loop.stop();
    const after = passes;
    void loop.kick();
    expect(passes).toBe(after);
  });
});

describe("a subscription's stream across an outage", () => {
  it("waits for the database and reads on after the last event it handed over: nothing lost, nothing twice", async () => {
    const state = { up: true };
    const health = fakeHealth(state);
    const reads: number[] = [];
    const abort = new AbortController();
    async function* read(after: number) {
      reads.push(after);
      for (let seq = after + 1; seq <= 6; seq++) {
        // The first read loses the database after handing over event 3.
        if (reads.length === 1 && seq === 4) {
          state.up = false;
          throw new DatabaseUnavailableError("connection terminated in the test");
        }
        yield { seq };
      }
    }
    const seen: number[] = [];
    const stream = resumingStream({ from: 1, read, accept: async (e) => e.seq !== 5, health, signal: abort.signal });
    try {
      const consuming = (async () => {
        for await (const e of stream) seen.push(e.seq);
      })();
      await until(() => !health.available, 10_000, "the outage");
      expect(reads).toEqual([1]);
      state.up = true;
      await consuming;
      // 5 is filtered out by accept; the rest arrive once each, in order.
      expect(seen).toEqual([2, 3, 4, 6]);
      expect(reads).toEqual([1, 3]);
    } finally {
      abort.abort();
      health.close();
    }
  });

  it("ends on any other error", async () => {
    const health = fakeHealth({ up: true });
    async function* read() {
      yield { seq: 1 };
      throw new AppError("UNAUTHENTICATED", "Credentials revoked");
    }
    const stream = resumingStream({ from: 0, read, accept: async () => true, health, signal: new AbortController().signal });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const e of stream) seen.push(e.seq);
      })(),
    ).rejects.toThrow(/Credentials revoked/);
    expect(seen).toEqual([1]);
    health.close();
  });
});
