import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import type { CommandIO } from "../../src/cli/command.js";
import { runCli } from "../../src/cli/run.js";

/** The repository's root, where commands are spawned from. */
export const ROOT = path.resolve(import.meta.dirname, "../..");

/** A fresh temporary directory, removed after the file's tests (call at module level or in tests). */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** The environment of a command on an embedded database in `dataDir`, whatever the suite runs on. */
export function embeddedEnv(dataDir: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", SEED_DEMO: "false" };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return env;
}

/** Runs `deskgraph <argv>` in this process and collects what it prints. */
export async function cli(argv: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { env, out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(argv, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
