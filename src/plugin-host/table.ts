import type { AnyPlugin } from "./plugin.js";
import { PluginRegistry } from "./registry.js";

const TABLE_START = "<!-- shipped-plugins:start -->";
const TABLE_END = "<!-- shipped-plugins:end -->";

/**
 * The table of shipped plugins in docs/plugins.md, generated from their
 * manifests as an unconfigured server loads them (default options), so the
 * table does not depend on who runs it.
 */
export function pluginsTable(plugins: AnyPlugin[]): string {
  const rows = new PluginRegistry(plugins).list().map(({ manifest: m }) => {
    const retention =
      m.retention.kind === "TRANSIENT"
        ? "transient"
        : m.retention.kind === "AS_SOURCE"
          ? "as long as the source data"
          : m.retention.kind === "TENANT_ACCOUNT"
            ? "as long as the tenant keeps it in its own account"
            : `${m.retention.days} days`;
    return `| \`${m.id}\` | ${m.name} | ${m.vendor.legalName} (${m.vendor.country}) | ${m.processingLocations.join(", ")} | ${m.transferMechanism} | ${m.dataCategories.join(", ")} | ${m.purposes.map((p) => p.purpose).join(", ")} | ${retention} |`;
  });
  return [
    TABLE_START,
    "| id | plugin | vendor | processing locations | transfer | data categories | purposes | retention at the vendor |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...(rows.length ? rows : ["| — | no plugins shipped yet | | | | | | |"]),
    TABLE_END,
  ].join("\n");
}

export function replaceTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < 0) throw new Error(`docs/plugins.md needs the markers ${TABLE_START} and ${TABLE_END}`);
  return readme.slice(0, start) + table + readme.slice(end + TABLE_END.length);
}
