/**
 * What every bench needs around its work: things it started are stopped
 * however it ends (newest first, each given at most 10 s), and the whole run
 * is bounded in time, so a bench never outlives its welcome on a shared machine.
 */
export function benchLifecycle(bound: { ms: number; label: string }) {
  const cleanups: (() => Promise<void>)[] = [];
  async function cleanUp() {
    for (const fn of cleanups.splice(0).reverse()) {
      await Promise.race([fn().catch((e) => console.error("clean-up failed:", e)), new Promise((r) => setTimeout(r, 10_000))]);
    }
  }
  async function abort(reason: string, code: number): Promise<never> {
    console.error(`\n${reason}; cleaning up and exiting.`);
    await cleanUp();
    process.exit(code);
  }
  setTimeout(() => void abort(`The bench exceeded its bound of ${bound.label}`, 1), bound.ms).unref();
  process.once("SIGINT", () => void abort("Interrupted", 130));

  /** Runs the bench, cleans up and exits: 0 when it finished, 1 when it threw. */
  function run(main: () => Promise<void>) {
    main()
      .then(async () => {
        await cleanUp();
        process.exit(0);
      })
      .catch(async (err) => {
        console.error(err);
        await cleanUp();
        process.exit(1);
      });
  }
  return { cleanups, cleanUp, abort, run };
}
