import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NEXT } from "../src/tickets/status.js";

describe("the lifecycle table in docs/api.md", () => {
  it("lists exactly the transitions the code allows", () => {
    const readme = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    // The first table whose rows are statuses: later tables (a file's textStatus…) reuse some of the names.
    const table = readme.slice(readme.search(/^\s*\| `NEW` \|/m)).split(/\n\s*\n/)[0]!;
    const rows = [...table.matchAll(/^\s*\| `([A-Z]+)` \| (.+) \|$/gm)].filter(([, from]) => from! in NEXT);
    const documented = Object.fromEntries(rows.map(([, from, to]) => [from, [...to!.matchAll(/`([A-Z]+)`/g)].map((m) => m[1])]));
    expect(documented).toEqual(Object.fromEntries(Object.entries(NEXT).map(([from, to]) => [from, [...to]])));
  });
});
