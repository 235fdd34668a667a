import { describe, expect, it } from "vitest";
import { parseQuery } from "../src/search/query.js";
import { searchLanguage } from "../src/search/language.js";
import { AppError } from "../src/errors.js";

const word = (text: string, negated = false) => ({ kind: "WORD", text, negated });
const phrase = (text: string, negated = false) => ({ kind: "PHRASE", text, negated });

/** The VALIDATION error a query raises: message, field path and position. */
function failure(query: string) {
  try {
    parseQuery(query);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe("VALIDATION");
    expect((e.extensions.fields as any[])[0].path).toEqual(["query"]);
    return { message: e.message, position: e.extensions.position as number | undefined };
  }
  throw new Error(`"${query}" parsed without error`);
}

describe("search query parser", () => {
  it("reads words, phrases, exclusions and OR into groups that must all match", () => {
    expect(parseQuery(`refund "credit card" -paypal invoice OR receipt OR "sales slip"`).text).toEqual([
      [word("refund")],
      [phrase("credit card")],
      [word("paypal", true)],
      [word("invoice"), word("receipt"), phrase("sales slip")],
    ]);
    expect(parseQuery(`-"gift card" voucher`).text).toEqual([[phrase("gift card", true)], [word("voucher")]]);
  });

  it("keeps letters of any script, digits and @ . - _ ' inside words; other punctuation separates", () => {
    expect(
      parseQuery(`Größe über-fällig l'été 東京 marie@example.fr v1.2_beta`)
        .text.flat()
        .map((t) => t.text),
    ).toEqual(["Größe", "über-fällig", "l'été", "東京", "marie@example.fr", "v1.2_beta"]);
    expect(
      parseQuery(`invoice, (billing)! end.`)
        .text.flat()
        .map((t) => t.text),
    ).toEqual(["invoice", "billing", "end"]);
    // "or" in lower case is a word, not the operator.
    expect(parseQuery(`this or that`).text).toHaveLength(3);
  });

  it("reads every filter", () => {
    const q = parseQuery(
      `status:open,pending priority:HIGH tag:billing tag:"key account" assignee:me assignee:none assignee:Ann@Example.com from:Marie@Example.FR created>2026-01-01 created<=2026-01-31 type:ticket,message`,
    );
    expect(q.text).toEqual([]);
    expect(q.filters).toEqual({
      status: ["OPEN", "PENDING"],
      priority: ["HIGH"],
      tags: ["billing", "key account"],
      assigneeIds: [null],
      fromEmails: ["marie@example.fr"],
      createdAfter: new Date("2026-01-02T00:00:00Z"),
      createdBefore: new Date("2026-02-01T00:00:00Z"),
      kinds: ["TICKET", "MESSAGE"],
    });
    expect(q.assigneeMe).toBe(true);
    expect(q.assigneeEmails).toEqual(["ann@example.com"]);
    expect(parseQuery(`created>=2026-03-01 created<2026-04-01 x`).filters).toEqual({
      createdAfter: new Date("2026-03-01T00:00:00Z"),
      createdBefore: new Date("2026-04-01T00:00:00Z"),
    });
    // Repeating a filter widens it.
    expect(parseQuery(`status:open status:solved`).filters.status).toEqual(["OPEN", "SOLVED"]);
  });

  it.each([
    [`"unbalanced`, /quote/, 0],
    [`refund "credit card`, /quote/, 7],
    [`plan: invoice`, /plan: needs a value/, 0],
    [`invoice created>2026-13-01`, /not a date/, 8],
    [`created>2026-02-30`, /not a date/, 0],
    [`created>yesterday`, /YYYY-MM-DD/, 0],
    [`created:2026-01-01`, /comparison/, 0],
    [`status>open`, /not a comparison/, 0],
    [`status:bogus`, /status "bogus" does not exist/, 0],
    [`priority:whenever`, /priority "whenever"/, 0],
    [`type:invoice`, /type "invoice"/, 0],
    [`from:marie`, /email address/, 0],
    [`assignee:bob`, /me, none or an agent's email/, 0],
    [`tag:`, /needs a value/, 0],
    [`OR invoice`, /OR needs a word/, 0],
    [`invoice OR`, /OR needs a word/, 8],
    [`invoice OR OR receipt`, /OR needs a word/, 8],
    [`invoice OR -receipt`, /excluded/, 8],
    [`invoice OR status:open`, /not filters/, 8],
    [`-status:open invoice`, /cannot be excluded/, 0],
    [`-paypal`, /needs something to find/, undefined],
    [`""`, /empty/, 0],
  ])("refuses %j with a clear message and position", (query, message, position) => {
    const f = failure(query);
    expect(f.message).toMatch(message);
    expect(f.position).toBe(position);
  });

  it("refuses empty, too long and too many terms", () => {
    expect(failure("").message).toMatch(/empty/);
    expect(failure("   ").message).toMatch(/empty/);
    expect(failure("a".repeat(501)).message).toMatch(/longer than 500/);
    expect(() => parseQuery("a".repeat(500))).not.toThrow();
    const many = Array.from({ length: 33 }, (_, i) => `w${i}`).join(" ");
    expect(failure(many).message).toMatch(/too many/);
    expect(() => parseQuery(Array.from({ length: 32 }, (_, i) => `w${i}`).join(" "))).not.toThrow();
  });
});

describe("search language", () => {
  it("maps locales to text-search configurations", () => {
    expect(["en", "en-GB", "fr", "fr_CA", "DE", "sv-SE", "nl", "it", "", null].map(searchLanguage)).toEqual([
      "english",
      "english",
      "french",
      "french",
      "german",
      "swedish",
      "dutch",
      "simple",
      "simple",
      "simple",
    ]);
  });
});
