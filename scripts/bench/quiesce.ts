/**
 * autocannon stops with requests still in flight; the server finishes them after
 * the sockets are gone. Waits until no SQL has run for half a second (at most
 * 15 s), so that one measurement does not spill into the next, nor into close
 * and DROP DATABASE. `statements` reads the server's running count.
 */
export async function quiesce(statements: () => number | Promise<number>) {
  const until = Date.now() + 15_000;
  let last = await statements();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await statements();
    if (now === last) return;
    last = now;
  }
}
