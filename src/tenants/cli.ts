import { parseArgs } from "node:util";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import * as tenants from "./service.js";
import { textTable } from "../cli/text-table.js";

export const TENANT_USAGE = `Usage: npm run tenant -- <command> [options]
  create --name <name> --slug <slug> --owner-email <email> [--owner-name <name>]
                    create a tenant; prints the owner's one-time invitation token
                    (they set a password with the acceptInvitation mutation)
  close <slug>      make the tenant read-only now and schedule the deletion of all
                    of its data after TENANT_DELETION_DAYS
  reopen <slug>     undo a closure before the deletion
  list              every tenant, with its closure state
  --help            print this and do nothing else`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  name: { type: "string" },
  slug: { type: "string" },
  "owner-email": { type: "string" },
  "owner-name": { type: "string" },
} as const;

type Print = (line: string) => void;

/** What the operator API records for its calls, for the same actions from a shell. */
const audit = (database: Database, action: string, tenantSlug: string | null, outcome: string, errorCode: string | null = null) =>
  database.prisma.operatorAuditEntry.create({ data: { action, tenantSlug, outcome, errorCode, requestId: "cli", clientIp: "cli" } });

/** Reads the arguments; null with the usage printed when they are wrong. Opens nothing. */
function parseTenantArgs(args: string[], print: Print) {
  try {
    const parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    print(`${(err as Error).message}\n\n${TENANT_USAGE}`);
    return null;
  }
}

/**
 * `npm run tenant -- create|close|reopen|list`. Returns the exit code: 0 done,
 * 1 refused (a slug taken, no such tenant…), 2 wrong usage. The database is
 * opened only once the arguments are known to be right (`open`).
 */
export async function runTenantCommand(
  args: string[],
  open: () => Promise<{ database: Database; deletionDays: number; close(): Promise<void> }>,
  print: Print,
): Promise<number> {
  const parsed = parseTenantArgs(args, print);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help) {
    print(TENANT_USAGE);
    return 0;
  }
  const needsSlug = command === "close" || command === "reopen";
  const known = command === "create" || command === "list" || needsSlug;
  if (!known || (needsSlug ? rest.length !== 1 : rest.length !== 0)) {
    print(
      `${command ? (known ? `Wrong arguments for ${command}` : `Unknown command: ${command}`) : "No command given"}\n\n${TENANT_USAGE}`,
    );
    return 2;
  }
  if (command === "create" && (!values.name || !values.slug || !values["owner-email"])) {
    print(`create needs --name, --slug and --owner-email\n\n${TENANT_USAGE}`);
    return 2;
  }
  const { database, deletionDays, close } = await open();
  const slug = needsSlug ? rest[0]! : (values.slug ?? null);
  const action = `cli.${command}`;
  try {
    if (command === "list") {
      const rows = [["slug", "name", "created", "closed", "deletion due"]];
      for (const t of await tenants.listTenants(database, { skip: 0, take: 10_000 })) {
        rows.push([t.slug, t.name, t.createdAt.toISOString(), t.closedAt?.toISOString() ?? "—", t.deletionDueAt?.toISOString() ?? "—"]);
      }
      print(textTable(rows));
    } else if (command === "create") {
      const input = tenants.validateNewTenant(
        {
          name: values.name!,
          slug: values.slug!,
          owner: { email: values["owner-email"]!, name: values["owner-name"] ?? values["owner-email"]! },
        },
        [],
      );
      const { tenant, invitationToken } = await tenants.createTenant(database, input);
      print(`Tenant "${tenant.slug}" created (${tenant.id}).`);
      print(`Owner invitation for ${input.owner.email} (shown once): ${invitationToken}`);
      print(`They accept it with: mutation { acceptInvitation(token: "…", password: "…") { token } }`);
    } else if (command === "close") {
      const t = await tenants.closeTenant(database, slug!, deletionDays);
      print(
        `Tenant "${t.slug}" is closed and read-only. All of its data is deleted on ${t.deletionDueAt!.toISOString()}; until then "npm run tenant -- reopen ${t.slug}" undoes this.`,
      );
    } else {
      await tenants.reopenTenant(database, slug!);
      print(`Tenant "${slug}" is open again.`);
    }
    if (command !== "list") await audit(database, action, slug, "SUCCESS");
    return 0;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await audit(database, action, slug, "FAILURE", err.code);
    // A field's path as the option that set it: ["input", "ownerEmail"] is --owner-email.
    const option = (path: string[]) =>
      `--${path
        .filter((p) => p !== "input")
        .join("-")
        .replace(/([A-Z])/g, "-$1")
        .toLowerCase()}`;
    const fields = (err.extensions.fields as { path: string[]; message: string }[] | undefined)?.map(
      (f) => `  ${option(f.path)}: ${f.message}`,
    );
    print([`${err.code}: ${err.message}`, ...(fields ?? [])].join("\n"));
    return 1;
  } finally {
    await close();
  }
}
