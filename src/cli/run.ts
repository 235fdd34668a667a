import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { DatabaseLockedError } from "../db/lock.js";
import { DatabaseUnreachableError } from "../db/migrate.js";
import { USAGE_EXIT, type Command, type CommandIO } from "./command.js";
import { commands as allCommands } from "./commands.js";
import { commandHelp, overallHelp, usageLine } from "./help.js";

const processIO: CommandIO = { env: process.env, out: (line) => console.log(line), err: (line) => console.error(line) };

/** Failures a user can act on from the message alone: no stack trace. */
const expected = (err: unknown) =>
  err instanceof ConfigError || err instanceof DatabaseUnreachableError || err instanceof DatabaseLockedError;

/**
 * Runs `deskgraph <argv…>` and returns the exit code. `--help` prints usage and does
 * nothing else (no configuration read, no database opened); unknown commands and
 * options, missing or invalid values exit with 2.
 */
export async function runCli(argv: string[], io: CommandIO = processIO, commands: Command[] = allCommands): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(overallHelp(commands));
    return 0;
  }
  if (name === undefined) {
    io.err(overallHelp(commands));
    return USAGE_EXIT;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`${name.startsWith("-") ? `Unknown option ${name}` : `Unknown command "${name}"`}. Run deskgraph --help for the commands.`);
    return USAGE_EXIT;
  }

  const options: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", short: "h" } };
  for (const [key, o] of Object.entries(command.options))
    options[key] = { type: o.type, ...(o.default !== undefined ? { default: o.default } : {}) };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: command.positionals !== undefined }) as typeof parsed;
  } catch (err) {
    io.err(`${(err as Error).message}\n${usageLine(command)}`);
    return USAGE_EXIT;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  for (const [key, o] of Object.entries(command.options)) {
    const value = values[key];
    const problem =
      o.required && value === undefined
        ? `--${key} is required`
        : o.choices && typeof value === "string" && !o.choices.includes(value)
          ? `--${key} must be one of ${o.choices.join(", ")}`
          : null;
    if (problem) {
      io.err(`${problem}\n${usageLine(command)}`);
      return USAGE_EXIT;
    }
  }

  const problem = command.usageProblem?.({ values, positionals });
  if (problem) {
    io.err(`${problem}\n${usageLine(command)}`);
    return USAGE_EXIT;
  }

  try {
    const config = loadConfig(io.env);
    return await command.run({ values, positionals, args, config, io });
  } catch (err) {
    io.err(expected(err) ? (err as Error).message : String((err as Error)?.stack ?? err));
    return 1;
  }
}
