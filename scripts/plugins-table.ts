// Regenerates the table of shipped plugins in README.md from their manifests.
import { readFileSync, writeFileSync } from "node:fs";
import { shippedPlugins } from "../plugins/index.js";
import { pluginsTable, replaceTable } from "../src/plugin-host/table.js";

const file = new URL("../README.md", import.meta.url);
writeFileSync(file, replaceTable(readFileSync(file, "utf8"), pluginsTable(shippedPlugins)));
console.log("README.md: shipped plugins table updated");
