// Writes schema/schema.graphql, the API contract frontend developers read.
import { writeFileSync } from "node:fs";
import { printedSchema } from "../src/graphql/schema.js";

const file = new URL("../schema/schema.graphql", import.meta.url);
writeFileSync(file, printedSchema());
console.log(`Wrote ${file.pathname}`);
