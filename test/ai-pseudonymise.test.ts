import { describe, expect, it } from "vitest";
import { Pseudonymiser } from "../src/ai/pseudonymise/pseudonymiser.js";
import { specialCategoriesIn } from "../src/ai/pseudonymise/special-categories.js";
import type { KnownPerson } from "../src/ai/pseudonymise/types.js";
import { LANGUAGE_FIXTURES } from "./support/ai-people.js";

const ada: KnownPerson = {
  key: "contact:ada",
  name: "Ada Müller-Lovelace",
  email: "Ada.Lovelace@Example.com",
  phone: "+31612345678",
  organization: { key: "org:1", name: "Analytical Engines GmbH", domain: "engines.example" },
};
const jan: KnownPerson = { key: "contact:jan", name: "Jan de Vries", email: "jan@vries.example", phone: "+4930123456" };
const agent: KnownPerson = { key: "agent:1", name: "Charles Babbage", email: "charles@desk.example" };

const session = () => new Pseudonymiser([ada, jan, agent], { regions: ["NL", "DE"] });

describe("the pseudonymiser", () => {
  it("replaces a person's name in every spelling and each of its parts, with one placeholder per person", () => {
    const p = session();
    const out = p.pseudonymise(
      "Ada Müller-Lovelace wrote. ADA MUELLER LOVELACE, ada muller lovelace, Mueller, lovelace and Ada. Jan de Vries and Jan. Regards, Charles Babbage",
    );
    expect(out).toBe(
      "[PERSON_1] wrote. [PERSON_1], [PERSON_1], [PERSON_1], [PERSON_1] and [PERSON_1]. [PERSON_2] and [PERSON_2]. Regards, [PERSON_3]",
    );
  });

  it("leaves particles of names and words that merely contain a name alone", () => {
    const p = session();
    expect(p.pseudonymise("De factuur van de maand; Adamant Janssen; Vriesland")).toBe(
      "De factuur van de maand; Adamant Janssen; Vriesland",
    );
  });

  it("replaces emails in any case, and unknown ones too, each with a stable placeholder", () => {
    const p = session();
    expect(p.pseudonymise("Mail ada.lovelace@example.com or ADA.LOVELACE@EXAMPLE.COM; cc someone.else@corp.example")).toBe(
      "Mail [EMAIL_1] or [EMAIL_1]; cc [EMAIL_2]",
    );
  });

  it("replaces a known phone number however it is written, and unknown numbers in international or national form", () => {
    const p = session();
    const out = p.pseudonymise(
      "Call +31 6 1234 5678, 06-12345678, 0031612345678 or (06) 1234 5678. Also +44 20 7946 0958 and 030 1234567.",
    );
    expect(out).toBe("Call [PHONE_1], [PHONE_1], [PHONE_1] or [PHONE_1]. Also [PHONE_2] and [PHONE_3].");
  });

  it("does not take order numbers, dates and amounts for phone numbers", () => {
    const p = session();
    expect(p.pseudonymise("Order 20240612 of 2024-06-12, invoice 123456789, total 1.234,56 EUR")).toBe(
      "Order 20240612 of 2024-06-12, invoice 123456789, total 1.234,56 EUR",
    );
  });

  it("replaces valid IBANs, printed or not, and leaves invalid ones", () => {
    const p = session();
    expect(p.pseudonymise("IBAN DE89 3704 0044 0532 0130 00, or DE89370400440532013000; not DE89 3704 0044 0532 0130 01.")).toBe(
      "IBAN [IBAN_1], or [IBAN_1]; not DE89 3704 0044 0532 0130 01.",
    );
    expect(p.pseudonymise("nl91abna0417164300 and NL91 ABNA 0417 1643 00 end")).toBe("[IBAN_2] and [IBAN_2] end");
  });

  it("replaces card numbers that pass the Luhn check", () => {
    const p = session();
    expect(p.pseudonymise("Card 4111 1111 1111 1111 or 4111-1111-1111-1111 or 5500005555555559; not 4111 1111 1111 1112")).toBe(
      "Card [CARD_1] or [CARD_1] or [CARD_2]; not 4111 1111 1111 1112",
    );
  });

  it("replaces IPv4 and IPv6 addresses but not times or version numbers with too many parts", () => {
    const p = session();
    expect(p.pseudonymise("From 192.168.10.42 and 2001:db8::8a2e:370:7334 and ::1 at 12:30:45; v1.2.3")).toBe(
      "From [IP_1] and [IP_2] and [IP_3] at 12:30:45; v1.2.3",
    );
  });

  it("replaces URLs that carry a token, keeps plain links", () => {
    const p = session();
    expect(
      p.pseudonymise(
        "Reset at https://app.example/reset?token=abc123. Docs: https://docs.example/setup?lang=en. Sign: https://x.example/f#access_token=zzz and https://user:pw@host.example/",
      ),
    ).toBe("Reset at [URL_1]. Docs: https://docs.example/setup?lang=en. Sign: [URL_2] and [URL_3]");
  });

  it("replaces the organisation's name with or without its legal form, and its domain", () => {
    const p = session();
    expect(p.pseudonymise("Analytical Engines GmbH, ANALYTICAL ENGINES, see engines.example")).toBe("[ORG_1], [ORG_1], see [ORG_1]");
  });

  it("turns the placeholders of the answer back into the identifiers, and only its own", () => {
    const p = session();
    const sent = p.pseudonymise("Hi, I am Ada (ada.lovelace@example.com, +31 6 1234 5678). Say hi to [PERSON_3] for me.");
    expect(sent).toBe("Hi, I am [PERSON_1] ([EMAIL_1], [PHONE_1]). Say hi to (PERSON 3) for me.");
    expect(p.reidentify("Dear [PERSON_1], we will call [PHONE_1] and write to [EMAIL_1]. [PERSON_9] and [EMAIL_7] stay.")).toBe(
      "Dear Ada Müller-Lovelace, we will call +31612345678 and write to Ada.Lovelace@Example.com. [PERSON_9] and [EMAIL_7] stay.",
    );
    expect(p.placeholderOf("contact:ada")).toBe("[PERSON_1]");
    expect(p.placeholderOf("agent:1")).toBe("[PERSON_3]");
  });
});

describe("a ticket in each of five languages", () => {
  it.each(LANGUAGE_FIXTURES)(
    "in $language keeps every identifier, the address and the stranger's name from the model and gives them back",
    (f) => {
      const requester: KnownPerson = { key: "contact:1", ...f.person, organization: { key: "org:1", ...f.organization } };
      const p = new Pseudonymiser([requester, agent], { regions: ["GB", "DE", "FR", "NL", "ES"] });
      p.learn(f.subject, f.body, f.reply);
      const sent = [f.subject, f.body, f.reply].map((t) => p.pseudonymise(t)).join("\n");
      expect(f.secrets.filter((s) => sent.toLowerCase().includes(s.toLowerCase()))).toEqual([]);
      expect(sent).toContain("[ADDRESS_1]");
      // The stranger is the first name the database does not know: after the requester and the agent.
      expect(sent).toContain("[PERSON_3]");
      expect(p.reidentify("[PERSON_1], [ADDRESS_1], [PERSON_3]")).toBe(`${f.person.name}, ${f.address}, ${f.stranger}`);
    },
  );
});

describe("special categories", () => {
  it("are recognised in English, German, French, Dutch and Spanish, whatever the accents", () => {
    expect(specialCategoriesIn("I was diagnosed with diabetes last year")).toEqual(["HEALTH"]);
    expect(specialCategoriesIn("Ich bin schwanger und krankgeschrieben")).toEqual(["HEALTH"]);
    expect(specialCategoriesIn("Je suis membre d'un SYNDICAT")).toEqual(["TRADE_UNION"]);
    expect(specialCategoriesIn("Mijn strafblad is leeg, ik ben moslim")).toEqual(["RELIGION", "CRIMINAL_RECORD"]);
    expect(specialCategoriesIn("Tengo antecedentes penales y soy homosexual")).toEqual(["SEXUAL_ORIENTATION", "CRIMINAL_RECORD"]);
    expect(specialCategoriesIn("Mon origine ethnique et mon parti politique")).toEqual(["ETHNICITY", "POLITICAL_OPINION"]);
    expect(specialCategoriesIn("la depresión y el cáncer")).toEqual(["HEALTH"]);
  });

  it("are not seen in the everyday words of a support desk", () => {
    for (const text of [
      "My account was disabled after the European Union VAT change",
      "There is a race condition when two agents reply",
      "Please diagnose the issue with my invoice",
      "Christian from accounting will call you; the jailbreak voids the warranty",
      "I voted for this feature request; my conviction is that it helps",
    ]) {
      expect(specialCategoriesIn(text), text).toEqual([]);
    }
  });
});
