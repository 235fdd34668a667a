import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo, type DemoCredentials } from "../prisma/seed.js";
import { codes, startApp, type TestApp } from "./support/app.js";

// The examples of the README and docs/, run as a new user runs them: pasted into GraphiQL on a
// fresh `npm start`, that is against the demo tenant, with the demo API key.
const pages = ["README.md", ...readdirSync(new URL("../docs/", import.meta.url)).map((f) => `docs/${f}`)];
const graphqlBlocks = pages.flatMap((page) =>
  [...readFileSync(new URL(`../${page}`, import.meta.url), "utf8").matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!),
);
const block = (start: RegExp) => {
  const found = graphqlBlocks.find((b) => start.test(b));
  if (!found) throw new Error(`no graphql block in README.md or docs/ matches ${start}`);
  return found;
};

let app: TestApp;
let demo: DemoCredentials;

beforeAll(async () => {
  app = await startApp();
  demo = (await seedDemo(app.database, "memory://"))!;
});
afterAll(() => app?.close());

describe("the documented first steps, on the demo data", () => {
  it("the first query lists the demo tickets", async () => {
    const r = await app.gql(block(/^query FirstQuery/), {}, demo.apiKey);
    expect(r.errors).toBeUndefined();
    expect(r.data.viewer.tenant.name).toBe("Demo Support");
    expect(r.data.tickets.totalCount).toBeGreaterThan(0);
  });

  it("the first mutation creates a ticket with a new requester, whose phone comes back as the README says", async () => {
    const mutation = block(/^mutation FirstMutation/);
    const r = await app.gql(mutation, {}, demo.apiKey);
    expect(r.errors).toBeUndefined();
    expect(r.data.createTicket.status).toBe("NEW");
    const promised = /phone comes back as E\.164: (\+\d+)/.exec(mutation)?.[1];
    expect(r.data.createTicket.requester.phone).toBe(promised);

    // And run again, it is the CONFLICT the README describes, naming the contact just created.
    const again = await app.gql(mutation, {}, demo.apiKey);
    expect(codes(again)).toEqual(["CONFLICT"]);
    expect(again.errors![0]!.extensions!.existingContactId).toBe(r.data.createTicket.requester.id);
  });

  it("the search example runs", async () => {
    const r = await app.gql(block(/^query {\n {2}search\(/), {}, demo.apiKey);
    expect(r.errors).toBeUndefined();
    expect(r.data.search.backend).toBeTruthy();
  });

  it("the sign-in example signs in as the demo owner", async () => {
    const signIn = block(/^ {2}mutation { signIn\(/).replace("…", demo.password);
    const r = await app.gql(signIn, {});
    expect(r.errors).toBeUndefined();
    expect(r.data.signIn.agent.role).toBe("OWNER");
  });
});
