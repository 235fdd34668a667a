// Regenerates the table of shipped plugins in docs/plugins.md from their manifests.
import { readFileSync, writeFileSync } from "node:fs";
import { shippedPlugins } from "../plugins/index.js";
import { pluginsTable, replaceTable } from "../src/plugin-host/table.js";

const file = new URL("../docs/plugins.md", import.meta.url);
writeFileSync(file, replaceTable(readFileSync(file, "utf8"), pluginsTable(shippedPlugins)));
console.log("docs/plugins.md: shipped plugins table updated");
