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
    return createAdapter({ databaseUrl: serverUrl, dataDir: process.env.DATA_DIR ?? "./data" });
  },
});
