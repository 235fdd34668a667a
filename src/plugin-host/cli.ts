// What the plugin commands do (src/cli/ropa.ts, src/cli/secrets-rotate.ts):
//   deskgraph ropa --tenant <slug> [--format md|json]   the record of processing (GDPR art. 30)
//   deskgraph secrets:rotate                            re-seal plugin secrets with the current ENCRYPTION_KEY
import type { Database } from "../db/database.js";
import type { PluginRegistry } from "./registry.js";
import type { SecretBox } from "./secrets.js";
import { buildRecordOfProcessing, renderMarkdown } from "./ropa.js";

export async function printRecordOfProcessing(
  database: Database,
  registry: PluginRegistry,
  slug: string,
  format: "md" | "json",
): Promise<string> {
  const tenant = await database.prisma.tenant.findUnique({ where: { slug } });
  if (!tenant) throw new Error(`No tenant with slug "${slug}"`);
  const record = await buildRecordOfProcessing(database, registry, tenant.id, database.kind);
  return format === "json" ? JSON.stringify(record, null, 2) : renderMarkdown(record);
}

/** Re-seals every secret sealed with an older key (plugin settings, connected mailboxes' credentials); returns how many rows changed. */
export async function rotateSecrets(database: Database, box: SecretBox): Promise<number> {
  const rotated = (sealed: Record<string, string>) =>
    Object.values(sealed).some((v) => box.isStale(v))
      ? Object.fromEntries(Object.entries(sealed).map(([k, v]) => [k, box.rotate(v)]))
      : null;
  let changed = 0;
  for (const install of await database.prisma.pluginInstall.findMany()) {
    const secrets = rotated(install.secrets as Record<string, string>);
    if (!secrets) continue;
    await database.prisma.pluginInstall.update({ where: { id: install.id }, data: { secrets } });
    changed++;
  }
  for (const mailbox of await database.prisma.mailbox.findMany({ where: { disconnectedAt: null }, select: { id: true, secrets: true } })) {
    const secrets = rotated(mailbox.secrets as Record<string, string>);
    if (!secrets) continue;
    await database.prisma.mailbox.update({ where: { id: mailbox.id }, data: { secrets } });
    changed++;
  }
  return changed;
}
