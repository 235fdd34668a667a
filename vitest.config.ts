import { defineConfig } from "vitest/config";

export default defineConfig({
  // One graphql module for everyone: the CommonJS build, as Node itself loads it for the libraries.
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: {
    include: ["test/**/*.test.ts", "plugins/**/*.test.ts"],
    // The migrated database snapshot each embedded test database is loaded from.
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // A process per file (isolate, the default). Running files one after another in a worker
    // (isolate: false) saves about 4 s of CPU a file, but two files still fail that way on
    // PostgreSQL (docs/benchmarks.md): not until they pass twice in a row.
    // In CI only, a failed test is run again (twice at most) before the run fails: four tests
    // that pass file by file failed once each in full runs on PostgreSQL on 2026-12-01
    // (automations custom fields, webhooks' live lease, the Elasticsearch erasure receipt,
    // shutdown's grace period). A stopgap, to go when they are found and fixed.
    retry: process.env.CI ? 2 : 0,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
  },
});
