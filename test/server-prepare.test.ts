// `serve` seeds the demo tenant in createServer's prepare hook: whatever that
// hook writes must exist before the server answers anyone.
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { createServer } from "../src/server.js";
import { createTenant } from "../src/tenants/service.js";
import { freePort } from "./support/free-port.js";

/** Whether anything accepts a TCP connection on 127.0.0.1:port right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("createServer's prepare hook", () => {
  it("runs on the migrated database before the server listens", async () => {
    const port = await freePort();
    const config = loadConfig({ DATA_DIR: "memory://", PORT: String(port), LOG_LEVEL: "silent", SEED_DEMO: "false" });
    let entered!: () => void;
    const inPrepare = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));

    const starting = createServer(config, {
      prepare: async (database) => {
        entered();
        await gate;
        // The migrations have run: the hook can write what the first request must find.
        await createTenant(database, {
          name: "Prepared",
          slug: "prepared",
          owner: { email: "owner@prepared.test", name: "Owner", password: "correct horse battery" },
        });
      },
    });
    await inPrepare;
    expect(await accepts(port), "listening while prepare has not finished").toBe(false);

    release();
    const server = await starting;
    try {
      const res = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation { signIn(tenant: "prepared", email: "owner@prepared.test", password: "correct horse battery") { token } }`,
        }),
      });
      const body = (await res.json()) as { data?: { signIn?: { token?: string } }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(body.data?.signIn?.token).toBeTruthy();
    } finally {
      await server.close();
    }
  });

  it("closes the database and starts nothing when it fails", async () => {
    const port = await freePort();
    const config = loadConfig({ DATA_DIR: "memory://", PORT: String(port), LOG_LEVEL: "silent", SEED_DEMO: "false" });
    await expect(createServer(config, { prepare: async () => Promise.reject(new Error("seed failed")) })).rejects.toThrow("seed failed");
    expect(await accepts(port)).toBe(false);
  });
});
