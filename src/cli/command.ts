import type { Config } from "../config.js";

/** Where a command reads its environment and writes its output; tests pass their own. */
export interface CommandIO {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
}

interface OptionSpec {
  type: "string" | "boolean";
  /** How the value is shown in usage, e.g. "<slug>". */
  value?: string;
  description: string;
  required?: boolean;
  default?: string;
  /** Allowed values of a string option. */
  choices?: string[];
}

interface CommandInput {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The arguments after the command's name, as given (for handlers that take argv). */
  args: string[];
  config: Config;
  io: CommandIO;
}

/** One `deskgraph <name>` command. Its handler is loaded only when it runs, so `--help` stays fast. */
export interface Command {
  name: string;
  /** One line, for `deskgraph --help`. */
  summary: string;
  /** What it does, for `deskgraph <name> --help`. */
  description: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments it takes, as shown in usage (e.g. "<create|close|list>"); none when unset. */
  positionals?: string;
  /** What is wrong with the arguments beyond the options' own checks (a missing sub-command…); null if nothing. Runs before anything is read or opened. */
  usageProblem?(input: Pick<CommandInput, "values" | "positionals">): string | null;
  /** Returns the exit code: 0 done, 1 failed, 2 bad usage. */
  run(input: CommandInput): Promise<number>;
}

/** Exit code for wrong usage: unknown command or option, missing or invalid value. */
export const USAGE_EXIT = 2;
