import type { Command } from "./command.js";

const pad = (rows: [string, string][]) => {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
};

/** `deskgraph <name> [options]`, with required options shown bare and the others in brackets. */
export function usageLine(command: Command): string {
  const parts = Object.entries(command.options).map(([name, o]) => {
    const text = o.type === "string" ? `--${name} ${o.value ?? "<value>"}` : `--${name}`;
    return o.required ? text : `[${text}]`;
  });
  if (command.positionals) parts.unshift(command.positionals);
  return ["Usage: deskgraph", command.name, ...parts].join(" ");
}

export function commandHelp(command: Command): string {
  const options: [string, string][] = Object.entries(command.options).map(([name, o]) => [
    o.type === "string" ? `--${name} ${o.value ?? "<value>"}` : `--${name}`,
    o.description + (o.required ? " (required)" : "") + (o.default !== undefined ? ` (default: ${o.default})` : ""),
  ]);
  options.push(["-h, --help", "print this help and exit"]);
  return [usageLine(command), "", command.description, "", "Options:", ...pad(options)].join("\n");
}

export function overallHelp(commands: Command[]): string {
  return [
    "Usage: deskgraph <command> [options]",
    "",
    "Commands:",
    ...pad(commands.map((c) => [c.name, c.summary])),
    "",
    "Run deskgraph <command> --help for a command's options. Settings come from the environment (see docs/configuration.md).",
  ].join("\n");
}
