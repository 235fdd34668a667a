// One process at a time may open an embedded (PGlite) data directory.
//
// PGlite keeps the whole database in the memory of the process that opened it and
// writes its files back on its own schedule; it takes no lock of its own. A second
// process opening the same directory reads what was last written (stale) and its own
// writes are overwritten by the first one's. So whoever opens the directory (the
// server, a command) first takes this lock: a file naming its process, created
// atomically, removed on close or exit, and taken over when its process is gone.
import { randomUUID } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const LOCK_FILE = "deskgraph.lock";

export interface LockHolder {
  pid: number;
  hostname: string;
  /** The holder's command line, for the message a refused process prints. */
  command: string;
  since: string;
  /** Tells this holder's file from a later one of the same pid. */
  token: string;
}

export class DatabaseLockedError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    const who = holder.pid === process.pid ? "this process (opened twice)" : `process ${holder.pid}`;
    super(
      `The embedded database in ${path.dirname(file)} is in use by ${who}: ${holder.command} on ${holder.hostname}, since ${holder.since}. ` +
        `Only one process at a time may open it (another one would read stale data and lose its writes): stop that process first. ` +
        `If process ${holder.pid} is not Deskgraph, delete ${file}.`,
    );
    this.name = "DatabaseLockedError";
  }
}

export interface DataDirLock {
  file: string;
  release(): void;
}

/** Lock files this process holds. */
const held = new Set<string>();

/** Whether a process with this pid exists (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The holder named in the file; undefined when there is no file, null when it cannot be read as one. */
function readHolder(file: string): LockHolder | null | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isInteger(holder?.pid) && typeof holder.token === "string" ? holder : null;
  } catch {
    return null;
  }
}

function removeIfPresent(file: string) {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/**
 * Removes the stale lock `seen`. It is first renamed aside (atomic): when two processes
 * take over at once, only one moves it, and one that moved a fresh lock taken meanwhile
 * by a third process puts it back.
 */
function takeOver(file: string, seen: LockHolder | null) {
  const aside = `${file}.stale-${process.pid}-${randomUUID()}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const moved = readHolder(aside);
  if (seen && moved && moved.token !== seen.token) {
    try {
      linkSync(aside, file);
    } catch {
      // Yet another process took the lock in the meantime; it holds it now.
    }
  }
  removeIfPresent(aside);
}

/** What this process is: the title `deskgraph <command>` gives itself (src/cli/main.ts), else its command line. */
const commandLine = () => (process.title.startsWith("deskgraph") ? process.title : process.argv.slice(1).join(" ").slice(0, 300) || "node");

/**
 * Takes the lock of an embedded data directory or throws DatabaseLockedError naming
 * the process that holds it. A lock of a process that no longer runs is taken over.
 */
export function lockDataDir(dataDir: string, command = commandLine()): DataDirLock {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, hostname: os.hostname(), command, since: new Date().toISOString(), token: randomUUID() };
  if (held.has(file)) throw new DatabaseLockedError(file, readHolder(file) ?? me);

  // Written whole under a name of its own, then linked into place: the lock file
  // appears atomically and complete, or not at all (EEXIST).
  const draft = `${file}.${process.pid}-${me.token}`;
  writeFileSync(draft, JSON.stringify(me));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        linkSync(draft, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = readHolder(file);
      if (holder === undefined) continue; // released meanwhile
      // The same pid as ours but not held here: a restarted container reusing the pid (1, say).
      if (holder && holder.pid !== process.pid && alive(holder.pid)) throw new DatabaseLockedError(file, holder);
      if (attempt > 5) throw new Error(`Could not take over the stale lock ${file}; delete it if no Deskgraph process uses ${dir}.`);
      takeOver(file, holder);
    }
  } finally {
    removeIfPresent(draft);
  }

  held.add(file);
  // A process that exits without closing the database (process.exit) leaves no lock behind.
  const onExit = () => release();
  process.on("exit", onExit);
  let released = false;
  function release() {
    if (released) return;
    released = true;
    held.delete(file);
    process.off("exit", onExit);
    if (readHolder(file)?.token === me.token) removeIfPresent(file);
  }
  return { file, release };
}
