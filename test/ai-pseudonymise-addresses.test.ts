import { describe, expect, it } from "vitest";
import { Pseudonymiser } from "../src/ai/pseudonymise/pseudonymiser.js";

const session = () => new Pseudonymiser([{ key: "contact:1", name: "Ada Lovelace" }], { regions: ["NL", "DE"] });

describe("postal addresses", () => {
  it("are found in English, German, French, Dutch and Spanish, street and postal code as one placeholder", () => {
    const p = session();
    const cases: [string, string][] = [
      ["Ship it to 221B Baker Street, London NW1 6XE please.", "Ship it to [ADDRESS_1] please."],
      ["Send it to 1600 Pennsylvania Avenue NW, Suite 200, Washington, DC 20500.", "Send it to [ADDRESS_2]."],
      ["Flat 3, 12 Oak Road is my flat.", "[ADDRESS_3] is my flat."],
      ["Lieferadresse: Hauptstraße 12a, 10115 Berlin. Danke!", "Lieferadresse: [ADDRESS_4]. Danke!"],
      ["Bitte an Berliner Straße 5, D-80331 München schicken.", "Bitte an [ADDRESS_5] schicken."],
      ["Adresse : 12 rue de la Paix, 75002 Paris.", "Adresse : [ADDRESS_6]."],
      ["Ou bien 3 bis, avenue des Champs-Élysées, 75008 Paris CEDEX 08.", "Ou bien [ADDRESS_7]."],
      ["Mijn adres is Dorpsstraat 5a, 1234 AB Ons Dorp.", "Mijn adres is [ADDRESS_8]."],
      ["Of Keizersgracht 123-II in Amsterdam.", "Of [ADDRESS_9] in Amsterdam."],
      ["Mi dirección: Calle Mayor 5, 3º izq., 28013 Madrid.", "Mi dirección: [ADDRESS_10]."],
      ["O bien C/ Alcalá 12, bajo B.", "O bien [ADDRESS_11]."],
    ];
    for (const [text, expected] of cases) expect(p.pseudonymise(text), text).toBe(expected);
  });

  it("takes a block of adjacent lines, with its country, as one address, the same however it is spaced", () => {
    const p = session();
    expect(p.pseudonymise("Our office:\nKeizersgracht 123\n1015 CJ Amsterdam\nNederland\n\nKind regards")).toBe(
      "Our office:\n[ADDRESS_1]\n\nKind regards",
    );
    expect(p.pseudonymise("again: keizersgracht 123,  1015 CJ Amsterdam, Nederland")).toBe("again: keizersgracht 123,  [ADDRESS_2]");
    expect(p.pseudonymise("Keizersgracht 123, 1015 CJ Amsterdam, Nederland")).toBe("[ADDRESS_1]");
    expect(p.reidentify("Sent to [ADDRESS_1].")).toBe("Sent to Keizersgracht 123\n1015 CJ Amsterdam\nNederland.");
  });

  it("knows postal codes of the United Kingdom, the United States, Austria and Switzerland when they stand where an address puts them", () => {
    const p = session();
    expect(p.pseudonymise("Postcode SW1A 1AA, or M1 1AE")).toBe("Postcode [ADDRESS_1], or [ADDRESS_2]");
    expect(p.pseudonymise("I moved to Springfield, IL 62704 last year")).toBe("I moved to [ADDRESS_3] last year");
    expect(p.pseudonymise("Bahnhofstrasse 1\n8001 Zürich\nSchweiz")).toBe("[ADDRESS_4]");
    expect(p.pseudonymise("Neue Adresse:\n1010 Wien")).toBe("Neue Adresse:\n[ADDRESS_5]");
    expect(p.pseudonymise("Wir sind von CH-3011 Bern nach A-1010 Wien gezogen")).toBe("Wir sind von [ADDRESS_6] nach [ADDRESS_5] gezogen");
  });

  it("leaves numbers that are not addresses alone: versions, products, orders, invoices, times, amounts, years, error codes", () => {
    const p = session();
    for (const text of [
      "Since version 2.3 on Windows 11 the export fails",
      "Order 12345 shipped, invoice INV-2024-0042 is open, ticket ID 12345",
      "The call at 10:30 cost € 1.234,56 or $1,234.56",
      "Error 0x80070005 and error 50000 Internal in Build 22631 Windows",
      "In 2023 Microsoft changed Office 365 Business; since 2024 Peter works here",
      "2024 Peter called\n2019 Report",
      "Wir sind auf Platz 1, Seite 12 von 30, 12 items in 3 Boxes",
      "Bestellung 10115 Berlin wurde storniert",
    ]) {
      expect(p.pseudonymise(text), text).toBe(text);
    }
  });
});
