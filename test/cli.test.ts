import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commands } from "../src/cli/commands.js";
import { cli, embeddedEnv, ROOT, tempDirs } from "./support/cli.js";

const tempDir = tempDirs("deskgraph-cli-");

/** `node bin/deskgraph.js …` in a child process: exit code and output. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/deskgraph.js", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("deskgraph --help", () => {
  it("lists every command, from the installed executable", async () => {
    const dataDir = path.join(tempDir(), "never-created");
    const r = await spawnCli(["--help"], embeddedEnv(dataDir) as NodeJS.ProcessEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: deskgraph <command> \[options\]/);
    for (const c of commands)
      expect(r.stdout).toMatch(new RegExp(`^  ${c.name.replace(":", "\\:")}\\s+${c.summary.slice(0, 20).replace(/[()]/g, "\\$&")}`, "m"));
    expect(r.stderr).toBe("");
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it("is what a missing or unknown command gets, with exit code 2", async () => {
    const env = embeddedEnv(path.join(tempDir(), "never-created"));
    const none = await cli([], env);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^Usage: deskgraph <command>/);
    const unknown = await cli(["frobnicate"], env);
    expect(unknown).toEqual({ code: 2, out: "", err: 'Unknown command "frobnicate". Run deskgraph --help for the commands.' });
    expect((await cli(["--verbose"], env)).err).toMatch(/^Unknown option --verbose\./);
  });
});

describe.each(commands.map((c) => [c.name, c] as const))("deskgraph %s", (name, command) => {
  it("--help prints its usage and does nothing else", async () => {
    const dataDir = path.join(tempDir(), "never-created");
    for (const flag of ["--help", "-h"]) {
      const r = await cli([name, flag], embeddedEnv(dataDir));
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      expect(r.out).toMatch(new RegExp(`^Usage: deskgraph ${name.replace(":", "\\:")}( |$)`, "m"));
      for (const option of Object.keys(command.options)) expect(r.out).toContain(`--${option}`);
      expect(r.out).toContain("-h, --help");
    }
    // No configuration read (it would create the encryption key there), no database opened.
    expect(existsSync(dataDir)).toBe(false);
  });

  it("refuses an unknown option with exit code 2 and its usage", async () => {
    const dataDir = path.join(tempDir(), "never-created");
    const r = await cli([name, "--no-such-option"], embeddedEnv(dataDir));
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/Unknown option '--no-such-option'/);
    expect(r.err).toContain(`Usage: deskgraph ${name}`);
    expect((await cli([name, "stray-argument"], embeddedEnv(dataDir))).code).toBe(2);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("command arguments", () => {
  it("a missing required option or a value outside its choices exits with 2", async () => {
    const env = embeddedEnv(path.join(tempDir(), "never-created"));
    expect(await cli(["audit:verify"], env)).toEqual({
      code: 2,
      out: "",
      err: "--tenant is required\nUsage: deskgraph audit:verify --tenant <slug>",
    });
    expect(await cli(["ropa", "--tenant", "demo", "--format", "pdf"], env)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^--format must be one of md, json/),
    });
    expect(await cli(["sweep", "--tenant"], env)).toMatchObject({ code: 2, err: expect.stringMatching(/--tenant/) });
  });
});
