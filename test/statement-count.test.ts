import { describe, expect, it } from "vitest";
import { uncounted } from "../src/db/statement-count.js";

// Counting is on in the test servers (test/support/app.ts), which the statement-count
// assertions of the other files exercise; production opens the database without it.
describe("a database that does not count statements", () => {
  it("runs background work as it is, and refuses to give counts it does not have", async () => {
    await expect(uncounted.background(async () => 42)).resolves.toBe(42);
    const early = () => {
      throw new Error("before any await");
    };
    await expect(uncounted.background(early as () => Promise<never>)).rejects.toThrow("before any await");
    expect(() => uncounted.queryCount).toThrow(/countStatements/);
    expect(() => uncounted.backgroundQueryCount).toThrow(/countStatements/);
    expect(() => uncounted.statementsSince(0)).toThrow(/countStatements/);
  });
});
