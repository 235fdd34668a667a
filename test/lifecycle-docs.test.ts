import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NEXT } from "../src/tickets/status.js";

describe("the lifecycle table in docs/api.md", () => {
  it("lists exactly the transitions the code allows", () => {
    const readme = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    const rows = [...readme.matchAll(/^\s*\| `([A-Z]+)` \| (.+) \|$/gm)].filter(([, from]) => from! in NEXT);
    const documented = Object.fromEntries(rows.map(([, from, to]) => [from, [...to!.matchAll(/`([A-Z]+)`/g)].map((m) => m[1])]));
    expect(documented).toEqual(Object.fromEntries(Object.entries(NEXT).map(([from, to]) => [from, [...to]])));
  });
});
