import { createRequire } from "node:module";
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { describe, expect, it } from "vitest";

// The rules live in .dependency-cruiser.cjs, so that `npx depcruise src plugins` reports the same.
const config = createRequire(import.meta.url)("../.dependency-cruiser.cjs") as { forbidden: object[]; options: Record<string, unknown> };

async function violations(paths: string[]): Promise<IViolation[]> {
  const { output } = await cruise(
    paths,
    { ...config.options, ruleSet: { forbidden: config.forbidden } as never, validate: true },
    undefined,
    { tsConfig: extractTSConfig("tsconfig.json") },
  );
  return (output as ICruiseResult).summary.violations;
}

const describeViolation = (v: IViolation) =>
  `${v.rule.name}: ${v.from} → ${v.to}${v.cycle?.length ? ` (cycle: ${v.cycle.map((c) => c.name).join(" → ")})` : ""}`;

describe("imports", () => {
  it("form no cycle at run time in src/ and plugins/, and the core imports plugins only through the shipped list", async () => {
    expect((await violations(["src", "plugins"])).map(describeViolation)).toEqual([]);
  }, 60_000);

  it("are checked by rules that catch a runtime cycle and let a type-only one be", async () => {
    const found = await violations(["test/fixtures/import-cycles"]);
    expect(found.map((v) => v.rule.name)).toEqual(["no-runtime-cycle"]);
    expect(found[0]!.cycle!.map((c) => c.name).sort()).toEqual([
      "test/fixtures/import-cycles/runtime-a.ts",
      "test/fixtures/import-cycles/runtime-b.ts",
    ]);
    expect(JSON.stringify(found)).not.toContain("types-");
  }, 60_000);
});
