import { describe, expect, it } from "vitest";
import { Pseudonymiser } from "../src/ai/pseudonymise/pseudonymiser.js";
import type { KnownPerson } from "../src/ai/pseudonymise/types.js";

const ada: KnownPerson = { key: "contact:ada", name: "Ada Müller", email: "ada@example.com" };
const agent: KnownPerson = { key: "agent:1", name: "Charles Babbage", email: "charles@desk.example" };
/** The ticket's people are [PERSON_1] and [PERSON_2]: names the database does not know start at [PERSON_3]. */
const session = () => new Pseudonymiser([ada, agent]);

describe("names the database does not know", () => {
  it("are found after a title in each language, the title staying for the model", () => {
    const p = session();
    expect(p.pseudonymise("Mrs Smith, Dr. Jones and Prof. Dr. Alan Turing")).toBe(
      "Mrs [PERSON_3], Dr. [PERSON_4] and Prof. Dr. [PERSON_5]",
    );
    expect(p.pseudonymise("Herr Schmidt und Frau Dr. Weber")).toBe("Herr [PERSON_6] und Frau Dr. [PERSON_7]");
    expect(p.pseudonymise("M. Dupont et Mme Durand, Mlle Petit")).toBe("M. [PERSON_8] et Mme [PERSON_9], Mlle [PERSON_10]");
    expect(p.pseudonymise("meneer de Jong en mevrouw Visser, dhr. Bakker")).toBe(
      "meneer de [PERSON_11] en mevrouw [PERSON_12], dhr. [PERSON_13]",
    );
    expect(p.pseudonymise("Sr. López, Sra. Fernández y Doña Carmen Ruiz")).toBe("Sr. [PERSON_14], Sra. [PERSON_15] y Doña [PERSON_16]");
  });

  it("are found after an introduction, a salutation at the start of a line, and a relation", () => {
    const p = session();
    const cases: [string, string][] = [
      [
        "Hello, my name is Peter Jansen and my colleague Sarah O'Brien will call.",
        "Hello, my name is [PERSON_3] and my colleague [PERSON_4] will call.",
      ],
      ["Dear Tom and Ada,\nthanks.", "Dear [PERSON_5] and [PERSON_1],\nthanks."],
      [
        "Hallo, ich heiße Klaus Fischer; meine Kollegin Anna Weber ruft an.\nLiebe Petra, danke.",
        "Hallo, ich heiße [PERSON_6]; meine Kollegin [PERSON_7] ruft an.\nLiebe [PERSON_8], danke.",
      ],
      [
        "Je m'appelle Pierre Lefèvre, ma collègue Sophie Martin vous écrira.\nChère Camille, merci.",
        "Je m'appelle [PERSON_9], ma collègue [PERSON_10] vous écrira.\nChère [PERSON_11], merci.",
      ],
      [
        "Mijn naam is Sanne van den Broek, mijn collega Pieter Bakker belt.\nBeste Femke, dank.",
        "Mijn naam is [PERSON_12], mijn collega [PERSON_13] belt.\nBeste [PERSON_14], dank.",
      ],
      [
        "Me llamo Carlos Ruiz y mi compañera Lucía Gómez le escribirá.\nEstimada Elena, gracias.",
        "Me llamo [PERSON_15] y mi compañera [PERSON_16] le escribirá.\nEstimada [PERSON_17], gracias.",
      ],
    ];
    for (const [text, expected] of cases) expect(p.pseudonymise(text), text).toBe(expected);
  });

  it("are found in signatures after a closing, on the same line or the next", () => {
    const p = session();
    expect(p.pseudonymise("It works now.\n\nBest regards,\nTom Baker\nAcme Support")).toBe(
      "It works now.\n\nBest regards,\n[PERSON_3]\nAcme Support",
    );
    expect(p.pseudonymise("Danke. Mit freundlichen Grüßen\nKlaus Fischer")).toBe("Danke. Mit freundlichen Grüßen\n[PERSON_4]");
    expect(p.pseudonymise("Merci. Cordialement, Jean-Luc Picard")).toBe("Merci. Cordialement, [PERSON_5]");
    expect(p.pseudonymise("Met vriendelijke groet,\n\nDaan de Wit")).toBe("Met vriendelijke groet,\n\n[PERSON_6]");
    expect(p.pseudonymise("Gracias. Atentamente,\nAna María López García")).toBe("Gracias. Atentamente,\n[PERSON_7]");
  });

  it("keep one placeholder for the whole call: the full name again, and the surname alone once it came with a first name", () => {
    const p = session();
    // learn() reads every text of the call first: the name from the last message is replaced in the first too.
    p.learn("Jansen will know.", "My colleague Peter Jansen handles it.");
    expect(p.pseudonymise("Jansen will know.")).toBe("[PERSON_3] will know.");
    expect(p.pseudonymise("My colleague Peter Jansen handles it. PETER JANSEN, Mr Jansen.")).toBe(
      "My colleague [PERSON_3] handles it. [PERSON_3], Mr [PERSON_3].",
    );
    // A surname met alone after a title, then with a first name, is one person.
    expect(p.pseudonymise("Dear Mrs Visser, ... my manager Femke Visser agrees")).toBe(
      "Dear Mrs [PERSON_4], ... my manager [PERSON_4] agrees",
    );
    expect(p.reidentify("Please ask [PERSON_3] and [PERSON_4].")).toBe("Please ask Peter Jansen and Visser.");
  });

  it("leave the ticket's own people their placeholders, also inside a name with an unknown part", () => {
    const p = session();
    expect(p.pseudonymise("Hi Ada, my husband Peter Müller called. Regards, Charles Babbage")).toBe(
      "Hi [PERSON_1], my husband [PERSON_3] [PERSON_1] called. Regards, [PERSON_2]",
    );
    expect(p.reidentify("[PERSON_3]")).toBe("Peter");
  });

  it("are never taken from ordinary capitalised words: days, months, products, groups, roles, sentence starts", () => {
    const p = session();
    for (const text of [
      "Dear Support Team, Hi All, Dear Sir or Madam, Hallo zusammen, Bonjour Madame, Hola a todos, Dear Customer",
      "My colleague Monday? My manager Windows. No: I am not.",
      "Ich bin Kunde seit 2010 und ich bin Mitglied. Hier ist Version 2.",
      "Je suis Responsable informatique.\nCordialement,\nLe service comptable",
      "Ik ben Klant sinds 2019.\nMet vriendelijke groet,\nTeam Inkoop",
      "Soy Cliente desde 2020.\nSaludos,\nDepartamento de Compras",
      "Thanks, I will try that. Thanks!\nSent from my iPhone",
      "Regards,\nThe Billing Team",
      "Best,\nJanuary Invoice Overview",
      "On Monday in May the Outlook update broke Teams.",
      "The dr said it was 5 m long; we don't know.",
    ]) {
      expect(p.pseudonymise(text), text).toBe(text);
    }
  });

  it("match a learnt name only when it is written with a capital: Will is a name, will a verb", () => {
    const p = session();
    expect(p.pseudonymise("Dear Will,\nwe will call. Will said so.")).toBe("Dear [PERSON_3],\nwe will call. [PERSON_3] said so.");
  });
});
