import path from "node:path";
import { defineConfig } from "prisma/config";

// Unset DATABASE_URL means the embedded database. The CLI still wants a URL to
// read the schema offline, so it gets a placeholder; the adapter below decides.
const serverUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ??= "postgresql://embedded@localhost/deskgraph";

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  engine: "js",
  experimental: { adapter: true },
  async adapter() {
    const { createAdapter } = await import("./src/db/adapter.js");
    const dataDir = process.env.DATA_DIR ?? "./data";
    // The Prisma CLI opens the embedded database like any process: not while a server holds it
    // (src/db/lock.ts). The lock goes when the CLI exits.
    if (!serverUrl && !dataDir.startsWith("memory://")) (await import("./src/db/lock.js")).lockDataDir(dataDir, "prisma CLI");
    return createAdapter({ databaseUrl: serverUrl, dataDir });
  },
});
