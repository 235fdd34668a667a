import { readFileSync } from "node:fs";
import type { Logger } from "pino";

/** How often the process looks whether the processes that started it are still there. */
const PARENT_CHECK_MS = 1000;
/** How far up the chain of parents `npm start` is looked for (npm → sh → tsx → this process). */
const MAX_ANCESTORS = 4;

/** The parent of a process, from /proc (Linux); undefined when it is gone or /proc is not there. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may contain spaces and parentheses, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/**
 * The processes whose end should end this one, each with its parent as seen
 * now: the direct parent, and under `npm start` every process up to npm
 * itself (tsx and the shell npm starts sit between; they stay when npm is
 * killed). Not higher: a server started from a shell must not stop with the
 * shell's parent.
 */
function watchedAncestors(): [pid: number, parent: number | undefined][] {
  const chain: [number, number | undefined][] = [[process.ppid, parentOf(process.ppid)]];
  if (!process.env.npm_lifecycle_event) return chain;
  for (let pid = process.ppid; chain.length < MAX_ANCESTORS && !commandOf(pid).startsWith("npm"); ) {
    const parent = parentOf(pid);
    if (!parent || parent <= 1) break;
    chain.push([parent, parentOf(parent)]);
    pid = parent;
  }
  return chain;
}

/**
 * Calls `stop` once when the server should end: on SIGTERM or SIGINT, or when
 * a process that started it goes away. `npm start` passes signals on to the
 * server, but if npm itself is killed (SIGKILL, a closed terminal) the server
 * would be left running, holding the port and the embedded database. So an
 * ancestor that exited or was re-parented (see watchedAncestors), a changed
 * parent of this process, or a closed IPC channel counts as a request to stop
 * too. A second request while stopping ends the process at once, status 1.
 */
export function onStopRequest(log: Logger, stop: (reason: string) => void): void {
  let stopping = false;
  const request = (reason: string) => {
    if (stopping) {
      log.warn({ reason }, "second stop request: exiting without finishing the shutdown");
      process.exit(1);
    }
    stopping = true;
    clearInterval(watch);
    stop(reason);
  };
  process.on("SIGTERM", () => request("SIGTERM"));
  process.on("SIGINT", () => request("SIGINT"));
  process.once("disconnect", () => request("parent disconnected"));
  const parent = process.ppid;
  const ancestors = watchedAncestors();
  const watch = setInterval(() => {
    if (process.ppid !== parent) return request(`parent process ${parent} exited`);
    const gone = ancestors.find(([pid, itsParent]) => itsParent !== undefined && parentOf(pid) !== itsParent);
    if (gone) request(`process ${gone[0]} that started this server exited`);
  }, PARENT_CHECK_MS);
  watch.unref();
}
