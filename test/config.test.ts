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

  it("reads the pool size, and refuses one too small to run a request beside background work", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-"));
    expect(loadConfig({ DATA_DIR: dir }).databasePoolSize).toBe(10);
    expect(loadConfig({ DATA_DIR: dir, DATABASE_POOL_SIZE: "25" }).databasePoolSize).toBe(25);
    for (const bad of ["1", "0", "2.5", "many"]) {
      expect(() => loadConfig({ DATA_DIR: dir, DATABASE_POOL_SIZE: bad })).toThrow(/DATABASE_POOL_SIZE/);
    }
  });

  it("requires an encryption key with a PostgreSQL server", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgres://localhost/x" })).toThrow(/ENCRYPTION_KEY/);
  });

  it("turns tracing on with an OTLP endpoint only, as OpenTelemetry's variables say", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-"));
    expect(loadConfig({ DATA_DIR: dir }).operations.tracing).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dir }).webhooks.traceContext).toBe(false);
    expect(loadConfig({ DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).operations.tracing).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      headers: {},
      serviceName: "deskgraph",
      sampler: "parentbased_always_on",
      ratio: 1,
    });
    const configured = loadConfig({
      DATA_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/otlp",
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Basic%20dXNlcjpwdw==, x-tenant=ops",
      OTEL_SERVICE_NAME: "desk-eu-1",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    }).operations.tracing;
    expect(configured).toEqual({
      tracesUrl: "https://traces.example.com/otlp",
      headers: { authorization: "Basic dXNlcjpwdw==", "x-tenant": "ops" },
      serviceName: "desk-eu-1",
      sampler: "parentbased_traceidratio",
      ratio: 0.25,
    });
    expect(
      loadConfig({ DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).operations.tracing,
    ).toBeUndefined();
  });

  it("refuses tracing settings it cannot honour, without echoing header values", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-"));
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", ...env });
      } catch (err) {
        return (err as ConfigError).problems.join("\n");
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    expect(problems({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: only http\/json/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" })).toMatch(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(problems({ OTEL_TRACES_SAMPLER: "jaeger_remote" })).toMatch(/OTEL_TRACES_SAMPLER/);
    expect(problems({ OTEL_TRACES_SAMPLER_ARG: "2" })).toMatch(/OTEL_TRACES_SAMPLER_ARG/);
    const headers = problems({ OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=fine,topsecretvalue" });
    expect(headers).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not name=value/);
    expect(headers).not.toContain("topsecretvalue");
  });
});
