import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printedSchema } from "../src/graphql/schema.js";

describe("schema/schema.graphql", () => {
  it("matches the schema the code builds (run `npm run schema:print` after changing types)", () => {
    const checkedIn = readFileSync(new URL("../schema/schema.graphql", import.meta.url), "utf8");
    expect(checkedIn).toBe(printedSchema());
  });
});
