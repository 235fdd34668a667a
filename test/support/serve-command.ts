/**
 * `src/main.ts serve` in one process: node with tsx's loader. The `tsx` command
 * would run the server as its child and pass signals on, but it kills that child
 * outright (exit 143) when the child has not acknowledged a signal within 30 ms,
 * which a loaded machine misses: a shutdown test must signal the server itself.
 */
export const SERVE_COMMAND = process.execPath;
export const SERVE_ARGS = ["--import", "tsx", "src/main.ts", "serve"];
