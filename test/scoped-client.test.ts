import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { startApp, type TestApp, type TestTenant } from "./support/app.js";

// The tenant's client (src/db/tenant-scope.ts) and a portal contact's (src/db/contact-scope.ts)
// are the base client wrapped by src/db/scoped-client.ts: every model call, in and out of
// transactions, goes through the scope. The GraphQL suites (tenant-isolation, portal) cover
// the API; this file covers the clients themselves.
let app: TestApp;
let a: TestTenant;
let b: TestTenant;
let mine: { id: string };
let theirs: { id: string };

beforeAll(async () => {
  app = await startApp();
  a = await app.tenant("scope-a");
  b = await app.tenant("scope-b");
  mine = await app.database.forTenant(a.id).contact.create({ data: { name: "Ada" } as never });
  theirs = await app.database.forTenant(b.id).contact.create({ data: { name: "Bo" } as never });
});
afterAll(() => app?.close());

describe("a tenant's client", () => {
  it("wraps the delegate of every model the client has", async () => {
    const db = app.database.forTenant(a.id) as unknown as Record<string, unknown>;
    const base = app.database.prisma as unknown as Record<string, unknown>;
    for (const model of Object.values(Prisma.ModelName)) {
      const delegate = model[0]!.toLowerCase() + model.slice(1);
      expect(base[delegate], model).toBeDefined();
      expect(db[delegate], model).not.toBe(base[delegate]);
    }
  });

  it("writes the tenant into what it creates, and reads and changes only the tenant's rows", async () => {
    const db = app.database.forTenant(a.id);
    expect((await app.database.prisma.contact.findUniqueOrThrow({ where: { id: mine.id } })).tenantId).toBe(a.id);
    expect(await db.contact.findUnique({ where: { id: theirs.id } })).toBeNull();
    expect((await db.contact.findMany()).map((c) => c.id)).toEqual([mine.id]);
    expect(await db.contact.count({ where: { name: "Bo" } })).toBe(0);
    expect((await db.contact.updateMany({ data: { locale: "de" } })).count).toBe(1);
    await expect(db.contact.update({ where: { id: theirs.id }, data: { name: "Taken" } })).rejects.toMatchObject({ code: "P2025" });
    await expect(db.contact.delete({ where: { id: theirs.id } })).rejects.toMatchObject({ code: "P2025" });
    expect((await app.database.prisma.contact.findUniqueOrThrow({ where: { id: theirs.id } })).name).toBe("Bo");
    expect((await db.tenant.findMany()).map((t) => t.id)).toEqual([a.id]);
    await expect(db.tenant.create({ data: { slug: "x", name: "x" } as never })).rejects.toThrow(/not allowed on a tenant-scoped client/);
  });

  it("scopes the client an interactive transaction hands out, which keeps the tenant's $blobs", async () => {
    const db = app.database.forTenant(a.id);
    const seen = await db.$transaction(async (tx) => {
      expect(tx.$blobs).toBe(db.$blobs);
      expect("$blobs" in tx && "contact" in tx).toBe(true);
      // What src/db/tx.ts's inTransaction tells a transaction's client by.
      expect(typeof (tx as { $transaction?: unknown }).$transaction).not.toBe("function");
      const created = await tx.contact.create({ data: { name: "Cy" } as never });
      return { created, foreign: await tx.contact.findUnique({ where: { id: theirs.id } }), all: await tx.contact.count() };
    });
    expect(seen.foreign).toBeNull();
    expect(seen.all).toBe(2);
    expect(seen.created.tenantId).toBe(a.id);
    await expect(
      db.$transaction(async (tx) => {
        await tx.contact.create({ data: { name: "Rolled back" } as never });
        throw new Error("undo");
      }),
    ).rejects.toThrow("undo");
    expect(await db.contact.count({ where: { name: "Rolled back" } })).toBe(0);
  });

  it("scopes each call of a batch transaction", async () => {
    const db = app.database.forTenant(b.id);
    const [count, foreign] = await db.$transaction([db.contact.count(), db.contact.findUnique({ where: { id: mine.id } })]);
    expect(count).toBe(1);
    expect(foreign).toBeNull();
  });
});

describe("a portal contact's client", () => {
  it("narrows the tenant's client to the contact, in transactions as well", async () => {
    const contact = app.database.forContact(a.id, mine.id);
    expect((await contact.contact.findMany()).map((c) => c.id)).toEqual([mine.id]);
    expect(await contact.contact.findUnique({ where: { id: theirs.id } })).toBeNull();
    const inside = await contact.$transaction(async (tx) => tx.contact.count());
    expect(inside).toBe(1);
    expect(contact.$blobs).toBe(app.database.forTenant(a.id).$blobs);
  });
});
