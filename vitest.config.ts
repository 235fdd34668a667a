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
    // A worker runs its files one after another in one process (isolate: false): the server, its
    // plugins and their libraries are imported once per worker instead of once per file (about
    // 4 s of CPU a file). So a file leaves nothing behind: it closes in afterAll what it started,
    // restores the environment variables and fake timers it changed, and a plugin keeps its state
    // on what the server hands it, not in a module.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
  },
});
