import { describe, expect, it } from "vitest";
import { TenantModel, type TrainingTicket } from "../src/ai/local/model.js";
import { LocalModels } from "../src/ai/local/models.js";
import { summarize } from "../src/ai/local/summary.js";
import { sentimentOf } from "../src/ai/local/sentiment.js";
import { languageOf } from "../src/ai/local/language.js";
import { LOCAL_MODEL, LocalProvider } from "../src/ai/local/provider.js";
import type { TenantClient } from "../src/db/tenant-scope.js";

const tickets: TrainingTicket[] = [
  { id: "b1", text: "Invoice charged twice, please refund the double charge", tags: ["billing"], priority: "HIGH", solved: true },
  { id: "b2", text: "Wrong VAT amount on my invoice, refund the difference", tags: ["billing", "vat"], priority: "NORMAL", solved: true },
  { id: "b3", text: "Refund the second card charge on the April invoice", tags: ["billing"], priority: "HIGH", solved: false },
  { id: "l1", text: "Cannot log in after the password reset, sign in fails", tags: ["login"], priority: "URGENT", solved: true },
  {
    id: "l2",
    text: "Account locked after three login attempts, password reset email missing",
    tags: ["login"],
    priority: "URGENT",
    solved: true,
  },
];

async function* from(list: TrainingTicket[]) {
  yield* list;
}

describe("a tenant's local model", () => {
  it("learns tags and priority from the tenant's tickets and finds similar solved ones", async () => {
    const model = await TenantModel.train(from(tickets));
    expect(model.examples).toBe(5);
    const billing = model.classify("My invoice shows a double charge, I want a refund");
    expect(billing.tags[0]!.value).toBe("billing");
    expect(billing.priority!.value).toBe("HIGH");
    expect(model.classify("The login fails and my account is locked").priority!.value).toBe("URGENT");
    // Only solved tickets are offered, never the one excluded.
    expect(model.similar("refund for a charge on the invoice", 5, new Set(["b2"])).map((h) => h.id)).toEqual(["b1"]);
    expect(model.similar("nothing in common here", 5)).toEqual([]);
  });

  it("says nothing about tags or priority when it has too little to learn from", async () => {
    const model = await TenantModel.train(from(tickets.slice(0, 1)));
    expect(model.classify("invoice refund")).toEqual({ tags: [], priority: null });
  });
});

describe("the local provider", () => {
  const conversation = {
    subject: "Charged twice",
    customer: "[PERSON_1]",
    tenantLocale: "en",
    messages: [{ author: "CUSTOMER" as const, text: "Hi, I am [PERSON_1]. My invoice charged me twice, please refund the double charge." }],
  };

  it("classifies with the tenant's model, and without one says what is missing", async () => {
    const model = await TenantModel.train(from(tickets));
    // Classification reads no database: the model is in memory.
    const db = {} as TenantClient;
    const trained = await new LocalProvider(db, model, "t").classify(conversation);
    expect(trained).toMatchObject({ tags: [{ value: "billing" }], priority: { value: "HIGH" }, language: { value: "en" } });
    expect(trained.notices).toBeUndefined();
    const untrained = await new LocalProvider(db, null, "t").classify(conversation);
    expect(untrained).toMatchObject({ tags: [], priority: null, language: { value: "en" } });
    expect(untrained.notices![0]).toMatch(/not trained yet/);
    expect(new LocalProvider(db, null, "t").model).toBe(LOCAL_MODEL);
  });
});

describe("the local models of an instance", () => {
  const limits = { maxTickets: 100, refreshMs: 0, maxModels: 2 };
  const trainedFor = async (models: LocalModels, tenantId: string) => {
    (models as unknown as { models: Map<string, TenantModel> }).models.set(tenantId, await TenantModel.train(from(tickets)));
  };

  it("asks for training when a tenant has no model, and drops one trained before its data was taken back", async () => {
    const models = new LocalModels(limits);
    let wanted = 0;
    models.onWanted = () => wanted++;
    expect(models.current("t1", null)).toBeNull();
    expect(wanted).toBe(1);
    await trainedFor(models, "t1");
    const model = models.current("t1", null)!;
    expect(model).not.toBeNull();
    expect(models.current("t1", new Date(model.trainedAt.getTime() - 1))).toBe(model);
    expect(models.current("t1", new Date(model.trainedAt.getTime() + 1))).toBeNull();
    // Gone for good, not only for that call.
    expect(models.current("t1", null)).toBeNull();
  });
});

describe("the local provider's other parts", () => {
  it("summarise a ticket with its own sentences, customer first", () => {
    const text = summarize(
      {
        subject: "Refund",
        customer: "[PERSON_1]",
        tenantLocale: "en",
        messages: [
          { author: "CUSTOMER", text: "Hello. My invoice charged my card twice for the subscription. Please refund the double charge." },
          { author: "AGENT", text: "Thanks for writing. We are looking into the double charge on your invoice." },
        ],
      },
      (words) => new Map(words.map((w) => [w, 1])),
    );
    expect(text).toMatch(/^- Customer: My invoice charged my card twice/);
    expect(text).not.toMatch(/Hello\./);
  });

  it("tell the mood in several languages", () => {
    expect(sentimentOf("This is unacceptable, I am still waiting!!")!.value).toBe("NEGATIVE");
    expect(sentimentOf("Vielen Dank, das hat perfekt funktioniert")!.value).toBe("POSITIVE");
    expect(sentimentOf("C'est inacceptable, je suis très déçu")!.value).toBe("NEGATIVE");
    expect(sentimentOf("Muchas gracias, excelente servicio")!.value).toBe("POSITIVE");
    expect(sentimentOf("Het product is niet geweldig")!.value).toBe("NEGATIVE");
    expect(sentimentOf("I would like to change my address")!.value).toBe("NEUTRAL");
  });

  it("detect the language offline", () => {
    expect(languageOf("Bonjour, ma facture n'est pas arrivée, pouvez-vous m'aider ?")!.value).toBe("fr");
    expect(languageOf("Mijn factuur is niet aangekomen, kunt u mij helpen?")!.value).toBe("nl");
    expect(languageOf("ok")).toBeNull();
  });
});
