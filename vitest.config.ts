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
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
  },
});
