// Plugin commands:
//   npm run ropa -- --tenant <slug> [--format md|json]   the record of processing (GDPR art. 30)
//   npm run secrets:rotate                               re-seal plugin secrets with the current ENCRYPTION_KEY
import { parseArgs } from "node:util";
import { shippedPlugins } from "../../plugins/index.js";
import { ConfigError, loadConfig } from "../config.js";
import { openDatabase, type Database } from "../db/database.js";
import { PluginRegistry } from "./registry.js";
import { buildRecordOfProcessing, renderMarkdown } from "./ropa.js";
import { SecretBox } from "./secrets.js";

export async function printRecordOfProcessing(database: Database, registry: PluginRegistry, slug: string, format: "md" | "json"): Promise<string> {
  const tenant = await database.prisma.tenant.findUnique({ where: { slug } });
  if (!tenant) throw new Error(`No tenant with slug "${slug}"`);
  const record = await buildRecordOfProcessing(database, registry, tenant.id, database.kind);
  return format === "json" ? JSON.stringify(record, null, 2) : renderMarkdown(record);
}

/** Re-seals every secret sealed with an older key; returns how many changed. */
export async function rotateSecrets(database: Database, box: SecretBox): Promise<number> {
  let changed = 0;
  for (const install of await database.prisma.pluginInstall.findMany()) {
    const sealed = install.secrets as Record<string, string>;
    if (!Object.values(sealed).some((v) => box.isStale(v))) continue;
    const secrets = Object.fromEntries(Object.entries(sealed).map(([k, v]) => [k, box.rotate(v)]));
    await database.prisma.pluginInstall.update({ where: { id: install.id }, data: { secrets } });
    changed++;
  }
  return changed;
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { tenant: { type: "string" }, format: { type: "string", default: "md" } },
  });
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    await database.migrate();
    if (positionals[0] === "ropa") {
      if (!values.tenant) throw new Error("--tenant <slug> is required");
      if (values.format !== "md" && values.format !== "json") throw new Error("--format must be md or json");
      console.log(await printRecordOfProcessing(database, new PluginRegistry(shippedPlugins), values.tenant, values.format));
    } else if (positionals[0] === "rotate-secrets") {
      const changed = await rotateSecrets(database, new SecretBox(config.encryptionKey, config.previousEncryptionKeys));
      console.log(`Re-sealed the secrets of ${changed} plugin installation(s) with the current key.`);
    } else {
      throw new Error("Usage: cli.ts ropa --tenant <slug> [--format md|json] | rotate-secrets");
    }
  } finally {
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof ConfigError ? err.message : (err as Error).message);
    process.exit(1);
  });
}
