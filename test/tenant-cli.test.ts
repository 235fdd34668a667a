import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { runTenantCommand, TENANT_USAGE } from "../src/tenants/cli.js";

let database: Database;
let opened = 0;

/** Runs the command over the test database; returns its exit code and what it printed. */
async function tenant(...args: string[]) {
  const lines: string[] = [];
  const open = async () => {
    opened++;
    return { database, deletionDays: 30, close: async () => {} };
  };
  const code = await runTenantCommand(args, open, (line) => lines.push(line));
  return { code, out: lines.join("\n") };
}

beforeAll(async () => {
  database = await openDatabase(
    loadConfig({ DATA_DIR: "memory://", LOG_LEVEL: "silent", ENCRYPTION_KEY: randomBytes(32).toString("base64") }),
  );
  await database.migrate();
});
afterAll(() => database?.close());

describe("npm run tenant", () => {
  it("--help prints the usage and touches nothing; wrong usage exits 2 before opening the database", async () => {
    expect(await tenant("--help")).toEqual({ code: 0, out: TENANT_USAGE });
    expect(await tenant("create", "--help")).toEqual({ code: 0, out: TENANT_USAGE });
    for (const args of [
      ["list", "--bogus"],
      ["frobnicate"],
      [],
      ["close"],
      ["close", "a", "b"],
      ["create", "--name", "X"],
      ["list", "--slug"],
    ]) {
      const r = await tenant(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.out, args.join(" ")).toContain("Usage: npm run tenant");
    }
    expect(opened).toBe(0);
  });

  it("creates, lists, closes and reopens, and records each in the operator's log", async () => {
    const created = await tenant("create", "--name", "Acme GmbH", "--slug", "acme", "--owner-email", "Boss@Acme.example");
    expect(created.code).toBe(0);
    const token = /\(shown once\): (dgi_\S+)/.exec(created.out)?.[1];
    expect(token).toBeDefined();
    const owner = await database.prisma.agent.findFirstOrThrow({ where: { tenant: { slug: "acme" } } });
    expect(owner).toMatchObject({ email: "boss@acme.example", role: "OWNER", passwordHash: null });

    const taken = await tenant("create", "--name", "Other", "--slug", "acme", "--owner-email", "x@other.example");
    expect(taken).toEqual({ code: 1, out: expect.stringMatching(/^CONFLICT: .*\n {2}--slug: is taken$/) });
    const bad = await tenant("create", "--name", "Other", "--slug", "Bad Slug", "--owner-email", "nope");
    expect(bad.code).toBe(1);
    expect(bad.out.split("\n").slice(1)).toEqual([expect.stringMatching(/^ {2}--slug: /), expect.stringMatching(/^ {2}--owner-email: /)]);

    expect((await tenant("close", "acme")).code).toBe(0);
    expect((await tenant("list")).out).toMatch(/^acme\s+Acme GmbH\s+\S+\s+\d{4}-\S+\s+\d{4}-\S+$/m);
    expect(await tenant("close", "acme")).toMatchObject({ code: 1, out: expect.stringMatching(/^INVALID_TRANSITION/) });
    expect((await tenant("reopen", "acme")).code).toBe(0);
    expect(await tenant("reopen", "nobody")).toMatchObject({ code: 1, out: expect.stringMatching(/^NOT_FOUND/) });
    expect((await database.prisma.tenant.findUniqueOrThrow({ where: { slug: "acme" } })).closedAt).toBeNull();

    const log = await database.prisma.operatorAuditEntry.findMany({
      orderBy: { at: "asc" },
      select: { action: true, outcome: true, errorCode: true },
    });
    expect(log).toEqual([
      { action: "cli.create", outcome: "SUCCESS", errorCode: null },
      { action: "cli.create", outcome: "FAILURE", errorCode: "CONFLICT" },
      { action: "cli.create", outcome: "FAILURE", errorCode: "VALIDATION" },
      { action: "cli.close", outcome: "SUCCESS", errorCode: null },
      { action: "cli.close", outcome: "FAILURE", errorCode: "INVALID_TRANSITION" },
      { action: "cli.reopen", outcome: "SUCCESS", errorCode: null },
      { action: "cli.reopen", outcome: "FAILURE", errorCode: "NOT_FOUND" },
    ]);
  });
});

describe("operator settings", () => {
  it("refuse a short OPERATOR_KEY and a TENANT_DELETION_DAYS under a day, naming the variable", () => {
    expect(() => loadConfig({ DATA_DIR: "memory://", OPERATOR_KEY: "short" })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: "memory://", OPERATOR_KEY: "short" })).toThrow(/OPERATOR_KEY/);
    expect(() => loadConfig({ DATA_DIR: "memory://", TENANT_DELETION_DAYS: "0" })).toThrow(/TENANT_DELETION_DAYS/);
    expect(loadConfig({ DATA_DIR: "memory://" })).toMatchObject({ operatorKey: undefined, tenantDeletionDays: 30 });
  });
});
