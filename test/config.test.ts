import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration from the environment", () => {
  it("has working defaults for the embedded database", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-"));
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({ port: 4000, host: "127.0.0.1", dataDir: dir, logLevel: "info", databaseUrl: undefined });
    expect(config.encryptionKey).toHaveLength(32);
  });

  it("generates the encryption key once and keeps it under DATA_DIR", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-"));
    const first = loadConfig({ DATA_DIR: dir }).encryptionKey;
    const second = loadConfig({ DATA_DIR: dir }).encryptionKey;
    expect(second.equals(first)).toBe(true);
    expect(Buffer.from(readFileSync(path.join(dir, "encryption.key"), "utf8").trim(), "base64").equals(first)).toBe(true);
  });

  it("names every invalid variable", () => {
    try {
      loadConfig({ PORT: "eighty", LOG_LEVEL: "loud", DATABASE_URL: "mysql://x", REDIS_URL: "http://x", ENCRYPTION_KEY: "short" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join("\n");
      for (const name of ["PORT", "LOG_LEVEL", "DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEY"]) expect(problems).toContain(name);
    }
  });

  it("reads the database connection timeout and the start-up wait, and refuses nonsense", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-"));
    expect(loadConfig({ DATA_DIR: dir })).toMatchObject({ databaseConnectTimeoutMs: 5000, databaseStartupWaitMs: 60_000 });
    expect(loadConfig({ DATA_DIR: dir, DATABASE_CONNECT_TIMEOUT_SECONDS: "2.5", DATABASE_STARTUP_WAIT_SECONDS: "0" })).toMatchObject({
      databaseConnectTimeoutMs: 2500,
      databaseStartupWaitMs: 0,
    });
    expect(() => loadConfig({ DATA_DIR: dir, DATABASE_CONNECT_TIMEOUT_SECONDS: "0" })).toThrow(/DATABASE_CONNECT_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ DATA_DIR: dir, DATABASE_STARTUP_WAIT_SECONDS: "-1" })).toThrow(/DATABASE_STARTUP_WAIT_SECONDS/);
  });

  it("requires an encryption key with a PostgreSQL server", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgres://localhost/x" })).toThrow(/ENCRYPTION_KEY/);
  });
});
