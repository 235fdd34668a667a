// The reference tables in docs/ against the code they describe: every error
// code, permission and setting that exists has a row, and every row names one
// that exists. Each missing or extra entry is reported by name, with where to
// fix it, all at once.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { API_KEY_SCOPES, PERMISSIONS, permissionsForRole, type Permission } from "../src/auth/permissions.js";
import { SETTING_NAMES } from "../src/config.js";
import { shippedPlugins } from "../plugins/index.js";
import { PluginRegistry } from "../src/plugin-host/registry.js";

const ROOT = path.resolve(import.meta.dirname, "..");
/** The README and every page of docs/, one after the other: each page opens with its own H1, which ends the table before it. */
const DOCS = ["README.md", ...readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)]
  .map((file) => readFileSync(path.join(ROOT, file), "utf8"))
  .join("\n");

/**
 * Codes the GraphQL layer itself produces (graphql-js, yoga, the masking in
 * src/graphql/errors-envelop.ts) rather than an AppError: documented, so clients
 * can switch on them, but not part of the ErrorCode union.
 */
const GRAPHQL_LAYER_CODES = ["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "INTERNAL_SERVER_ERROR", "REQUEST_ENTITY_TOO_LARGE"];

/** The rows (as cells) of the first table under the heading `title`, header and separator left out. */
function tableUnder(title: string): string[][] {
  const lines = DOCS.split("\n");
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && l.replace(/^#+ /, "").trim() === title);
  if (start < 0) throw new Error(`no page of docs/ has a heading "${title}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    const heading = /^(#+) /.exec(line);
    if (heading && heading[1]!.length <= level) break;
    if (line.startsWith("|")) {
      rows.push(
        line
          .replace(/^\||\|$/g, "")
          .split(/(?<!\\)\|/)
          .map((c) => c.trim()),
      );
    } else if (rows.length) break; // the first table has ended
  }
  if (rows.length < 2) throw new Error(`docs/ has no table under "${title}"`);
  return rows.slice(2);
}

/** `CODE` tokens in a cell (a row may name several: `INVALID_TRANSITION` / `TICKET_CLOSED`). */
const namesIn = (cell: string | undefined) => [...(cell ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The members of `export type ErrorCode = | "A" | "B" …;` in src/errors.ts, comments left out. */
function errorCodeUnion(): string[] {
  const source = readFileSync(path.join(ROOT, "src/errors.ts"), "utf8")
    .replace(/\/\/.*$/gm, "")
    .replace(/\/\*[\s\S]*?\*\//g, "");
  const union = /export type ErrorCode\s*=([^;]*);/.exec(source);
  if (!union) throw new Error("src/errors.ts no longer declares `export type ErrorCode = …;`");
  return [...union[1]!.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]!);
}

/** One message per name in `actual` but not `expected` and the other way round. */
function differences(actual: string[], expected: string[], missing: (name: string) => string, extra: (name: string) => string): string[] {
  return [...expected.filter((n) => !actual.includes(n)).map(missing), ...actual.filter((n) => !expected.includes(n)).map(extra)];
}

describe("the reference tables in docs/ match the code", () => {
  it("the error table (Errors) lists every ErrorCode in src/errors.ts and nothing else", () => {
    const documented = tableUnder("Errors").flatMap((row) => namesIn(row[0]));
    const codes = errorCodeUnion();
    expect(codes.length).toBeGreaterThan(0);
    const problems = differences(
      documented,
      [...codes, ...GRAPHQL_LAYER_CODES],
      (code) =>
        `docs/api.md, Errors: no row for ${code} (${codes.includes(code) ? "an ErrorCode in src/errors.ts" : "produced by the GraphQL layer"})`,
      (code) => `docs/api.md, Errors: row for ${code}, which is not an ErrorCode in src/errors.ts nor a GraphQL-layer code`,
    );
    expect(problems).toEqual([]);
  });

  it("the permission table (Who may do what) lists every permission with the roles and API-key scope that grant it", () => {
    const rows = tableUnder("Who may do what");
    const documented = rows.map((row) => namesIn(row[0])[0] ?? `(a row without a permission: ${row[0]})`);
    const permissions = Object.keys(PERMISSIONS);
    const problems = differences(
      documented,
      permissions,
      (p) => `docs/api.md, Who may do what: no row for ${p} (in PERMISSIONS, src/auth/permissions.ts)`,
      (p) => `docs/api.md, Who may do what: row for ${p}, which is not in PERMISSIONS (src/auth/permissions.ts)`,
    );
    const header = DOCS.split("\n").find((l) => /^\| permission \|/.test(l));
    const columns = header!
      .replace(/^\||\|$/g, "")
      .split("|")
      .map((c) => c.trim());
    const roles = ["OWNER", "ADMIN", "AGENT", "VIEWER"] as const;
    for (const row of rows) {
      const permission = namesIn(row[0])[0] as Permission | undefined;
      if (!permission || !permissions.includes(permission)) continue;
      for (const role of roles) {
        const marked = row[columns.indexOf(role)] === "✓";
        const granted = permissionsForRole(role).has(permission);
        if (marked !== granted)
          problems.push(
            `docs/api.md, Who may do what: ${permission} is ${granted ? "" : "not "}granted to ${role}, but the table ${marked ? "ticks" : "leaves out"} it`,
          );
      }
      const keyCell = row[columns.indexOf("API key scope")] ?? "";
      // API-key scopes are the GraphQL enum values of the permissions keys may hold.
      const scope = permission.toUpperCase().replace(":", "_");
      const keyable = (API_KEY_SCOPES as readonly Permission[]).includes(permission);
      if (keyable && !namesIn(keyCell).includes(scope))
        problems.push(`docs/api.md, Who may do what: ${permission} is an API-key scope, so its row names \`${scope}\``);
      if (!keyable && namesIn(keyCell).length)
        problems.push(`docs/api.md, Who may do what: ${permission} can never be held by an API key, but its row names ${keyCell}`);
    }
    expect(problems).toEqual([]);
  });

  it("the settings table (Configuration) lists every variable src/config.ts and the shipped plugins' options read, and nothing else", () => {
    const documented = tableUnder("Configuration").map((row) => namesIn(row[0])[0] ?? `(a row without a variable: ${row[0]})`);
    // Each variable with who reads it: the core, or a plugin's options.ts.
    const readers = new Map<string, string>(SETTING_NAMES.map((name) => [name, "src/config.ts"]));
    for (const plugin of new PluginRegistry(shippedPlugins).list()) {
      for (const name of plugin.options?.variables ?? []) readers.set(name, `plugins/${plugin.manifest.id}/options.ts`);
    }
    expect([...readers.values()]).toContain("plugins/stripe-billing/options.ts");
    const problems = differences(
      documented,
      [...readers.keys()],
      (name) => `docs/configuration.md, Configuration: no row for ${name} (read by ${readers.get(name)})`,
      (name) =>
        `docs/configuration.md, Configuration: row for ${name}, which neither src/config.ts nor a shipped plugin's options.ts reads`,
    );
    expect(problems).toEqual([]);
  });
});
