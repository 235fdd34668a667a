// Loaded with `node --import`: appends the URL of every module the process
// imports to the file named by MODULE_LOG, one a line (ESM resolution, which
// is how the server's own code loads its dependencies).
import { register } from "node:module";

register("./module-log-hooks.mjs", import.meta.url, { data: { file: process.env.MODULE_LOG } });
