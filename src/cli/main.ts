// The `deskgraph` command line: deskgraph <command> [options]; deskgraph --help lists them.
import { runCli } from "./run.js";

// Shown by ps, and by the data directory's lock to a command refused because this process holds it.
process.title = ["deskgraph", ...process.argv.slice(2, 3)].join(" ");

runCli(process.argv.slice(2)).then(
  (code) => {
    // No process.exit: `serve` keeps running on its open handles; the others end when theirs close.
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
