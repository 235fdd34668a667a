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
    // Each worker process runs file after file without loading the app again: importing the
    // server and its libraries cost every file about 4 s of CPU. A test must therefore leave no
    // state behind in modules (what a server holds goes with app.close()).
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
  },
});
