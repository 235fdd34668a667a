import { describe, expect, it } from "vitest";
import { ACTIVE_WINDOW_MS, tenantFairShare } from "../src/tenants/fair-share.js";
import { codes, startApp } from "./support/app.js";

type Exec = (args: unknown) => Promise<unknown>;

/**
 * Runs an operation of `tenantId` through the plugin as envelop would, with `work` as the
 * execution; `afterwards` stands for the onExecuteDone hooks of the plugins registered before it
 * (the audit entry's insert), which run before the plugin's own.
 */
async function operation(
  plugin: ReturnType<typeof tenantFairShare>,
  tenantId: string,
  work: () => Promise<unknown>,
  afterwards: () => Promise<void> = async () => {},
): Promise<unknown> {
  let execute: Exec = () => work();
  const hooks = (plugin.onExecute as (p: unknown) => { onExecuteDone?: () => void } | undefined)({
    args: { contextValue: { viewer: { tenantId } } },
    executeFn: execute,
    setExecuteFn: (fn: Exec) => (execute = fn),
  });
  const result = await execute({});
  await afterwards();
  hooks?.onExecuteDone?.();
  return result;
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Operations that start when the plugin lets them and end when their gate opens; `started` lists them in order. */
function gated(plugin: ReturnType<typeof tenantFairShare>) {
  const started: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred>>();
  const op = (tenant: string, name: string) => {
    const gate = deferred();
    gates.set(name, gate);
    return operation(plugin, tenant, async () => {
      started.push(name);
      await gate.promise;
      return name;
    });
  };
  return { started, gates, op };
}

describe("each tenant's share of an instance", () => {
  it("runs at most `limit` operations of a tenant at once, the next in arrival order, and never holds up another tenant", async () => {
    const plugin = tenantFairShare(2);
    const { started, gates, op } = gated(plugin);
    const running = [op("A", "a1"), op("A", "a2"), op("A", "a3"), op("A", "a4")];
    await tick();
    expect(started).toEqual(["a1", "a2"]);

    gates.get("a2")!.resolve();
    await tick();
    expect(started).toEqual(["a1", "a2", "a3"]);

    // An execution that fails gives its turn back too.
    gates.get("a1")!.reject(new Error("boom"));
    await expect(running[0]).rejects.toThrow("boom");
    await tick();
    expect(started).toEqual(["a1", "a2", "a3", "a4"]);
    for (const name of ["a3", "a4"]) gates.get(name)!.resolve();
    expect(await Promise.all(running.slice(1))).toEqual(["a2", "a3", "a4"]);
  });

  it("keeps a turn until the hooks before it are done with the result while another tenant is active, not when alone", async () => {
    const plugin = tenantFairShare(1);
    const started: string[] = [];
    const run = (tenant: string, name: string, audit?: Promise<void>) =>
      operation(plugin, tenant, async () => started.push(name), audit && (() => audit));

    // Alone: a1's turn ends with its execution; a2 need not wait for a1's audit entry.
    const aloneAudit = deferred();
    const alone = [run("A", "a1", aloneAudit.promise), run("A", "a2")];
    await tick();
    expect(started).toEqual(["a1", "a2"]);
    aloneAudit.resolve();
    await Promise.all(alone);

    // B is active: a3 has executed, its audit entry is still being written, and a4 waits for it.
    await run("B", "b1");
    const audit = deferred();
    const shared = [run("A", "a3", audit.promise), run("A", "a4")];
    await tick();
    expect(started).toEqual(["a1", "a2", "b1", "a3"]);
    audit.resolve();
    await Promise.all(shared);
    expect(started).toEqual(["a1", "a2", "b1", "a3", "a4"]);
  });

  it("shares half of `limit` among the tenants active in the last second, and gives it back when they go quiet", async () => {
    let clock = 0;
    const plugin = tenantFairShare(8, () => clock);
    const { started, gates, op } = gated(plugin);
    const finish = async (...names: string[]) => {
      for (const name of names) gates.get(name)!.resolve();
      await tick();
    };
    const names = Array.from({ length: 10 }, (_, i) => `a${i + 1}`);
    const a = names.map((name) => op("A", name));
    await tick();
    expect(started).toEqual(names.slice(0, 8));

    // B shows up: it starts at once, and A's share drops to 8 / (2 × 2) while both are active.
    const b1 = op("B", "b1");
    await tick();
    expect(started).toEqual([...names.slice(0, 8), "b1"]);
    await finish("a1", "a2", "a3", "a4", "a5", "a6");
    expect(started).toHaveLength(9);
    await finish("a7");
    expect(started).toEqual([...names.slice(0, 8), "b1", "a9"]);

    // B done and quiet for longer than the window: A has the whole limit again.
    await finish("b1");
    clock += ACTIVE_WINDOW_MS + 1;
    await finish("a8");
    expect(started).toEqual([...names.slice(0, 8), "b1", "a9", "a10"]);
    await finish("a9", "a10");
    expect(await Promise.all([...a, b1])).toEqual([...names, "b1"]);
  });

  it("lets a busy tenant run one at a time beside another with the default limit", async () => {
    const plugin = tenantFairShare(4);
    const { started, gates, op } = gated(plugin);
    const a = ["a1", "a2", "a3"].map((name) => op("A", name));
    const b1 = op("B", "b1");
    await tick();
    // Both active: 4 / (2 × 2) = 1 each. A's first three arrived before B, when A was alone.
    expect(started).toEqual(["a1", "a2", "a3", "b1"]);
    for (const name of ["a1", "a2"]) gates.get(name)!.resolve();
    const a4 = op("A", "a4");
    await tick();
    expect(started).toHaveLength(4);
    gates.get("a3")!.resolve();
    await tick();
    expect(started).toEqual(["a1", "a2", "a3", "b1", "a4"]);
    for (const name of ["a4", "b1"]) gates.get(name)!.resolve();
    expect(await Promise.all([...a, a4, b1])).toEqual(["a1", "a2", "a3", "a4", "b1"]);
  });

  it("serves every request of a tenant sending many at once, one at a time, errors included", async () => {
    const app = await startApp({ TENANT_MAX_CONCURRENT_OPERATIONS: "1" });
    try {
      const t = await app.tenant();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 4 === 3
            ? app.gql(`mutation { createTicket(input: { subject: "", body: "b", requester: { name: "X" } }) { id } }`, {}, t.ownerToken)
            : app.gql(
                `mutation($s: String!) { createTicket(input: { subject: $s, body: "b", requester: { name: "P" } }) { number } }`,
                { s: `T${i}` },
                t.ownerToken,
              ),
        ),
      );
      expect(results.filter((r) => r.data?.createTicket?.number).length).toBe(9);
      expect(results.filter((r) => codes(r).includes("VALIDATION")).length).toBe(3);
      const after = await app.gql(`{ tickets(first: 1) { totalCount } }`, {}, t.ownerToken);
      expect(after.data.tickets.totalCount).toBe(9);
    } finally {
      await app.close();
    }
  });
});
