import { createServer } from "node:http";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { refusalOf } from "../src/outbound/addresses.js";
import { parseAllowList } from "../src/outbound/allow-list.js";
import { AddressNotAllowed, OutboundGuard, type Resolve } from "../src/outbound/guard.js";
import { REFUSED_URLS } from "./support/refused-addresses.js";

/** A resolver answering from a table, so that names can point anywhere without DNS. */
const fakeDns =
  (table: Record<string, string[] | (() => string[])>): Resolve =>
  async (host) => {
    const entry = table[host];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return typeof entry === "function" ? entry() : entry;
  };

describe("addresses", () => {
  it("refuses every address of the table, whatever its spelling", async () => {
    const guard = new OutboundGuard();
    for (const url of REFUSED_URLS) {
      await expect(guard.resolve(new URL(url).hostname), url).rejects.toBeInstanceOf(AddressNotAllowed);
    }
  });

  it("lets public addresses through, also inside IPv4-carrying IPv6 forms", () => {
    for (const address of [
      "8.8.8.8",
      "1.1.1.1",
      "2a00:1450:4001::1",
      "2606:4700::1111",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808",
      "2002:808:808::1",
    ]) {
      expect(refusalOf(address), address).toBeNull();
    }
  });

  it("says what an address is", () => {
    expect(refusalOf("169.254.169.254")).toBe("a link-local (cloud metadata) address");
    expect(refusalOf("::7f00:1")).toBe("IPv4-compatible 127.0.0.1, a loopback address");
    expect(refusalOf("2002:a9fe:a9fe::")).toBe("6to4 169.254.169.254, a link-local (cloud metadata) address");
    expect(refusalOf("fe80::1%eth0")).toBe("a link-local address");
    expect(refusalOf("not-an-address")).toBe("not an IP address");
  });
});

describe("names", () => {
  const dns = fakeDns({
    "metadata.google.internal": ["169.254.169.254"],
    "instance-data.ec2.internal": ["169.254.169.254"],
    "metadata.example": ["fd00:ec2::254"],
    "mixed.example": ["93.184.215.14", "10.0.0.5"],
    "public.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  });

  it("are refused when any address they resolve to is not allowed", async () => {
    const guard = new OutboundGuard([], dns);
    for (const host of ["metadata.google.internal", "instance-data.ec2.internal", "metadata.example", "mixed.example"]) {
      await expect(guard.resolve(host), host).rejects.toThrow(/not allowed for outbound calls$/);
    }
    await expect(guard.resolve("public.example")).resolves.toEqual(["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]);
  });

  it("are allowed when the operator lists the networks they resolve to", async () => {
    const guard = new OutboundGuard(parseAllowList("169.254.169.254/32, 10.0.0.0/8"), dns);
    await expect(guard.resolve("metadata.google.internal")).resolves.toEqual(["169.254.169.254"]);
    await expect(guard.resolve("mixed.example")).resolves.toEqual(["93.184.215.14", "10.0.0.5"]);
    await expect(guard.resolve("metadata.example")).rejects.toBeInstanceOf(AddressNotAllowed);
  });
});

describe("connections", () => {
  let server: ReturnType<typeof createServer>;
  let port: number;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (url: string, agent: http.Agent) =>
    new Promise<number>((resolve, reject) => {
      http.get(url, { agent }, (res) => res.resume().on("end", () => resolve(res.statusCode!))).on("error", reject);
    });

  it("connect to the address that was checked: a name that rebinds to loopback after a public answer is refused", async () => {
    let answers = 0;
    // The first answer is public (as when the URL was saved), the next ones loopback.
    const guard = new OutboundGuard([], fakeDns({ "rebind.example": () => (answers++ === 0 ? ["93.184.215.14"] : ["127.0.0.1"]) }));
    await expect(guard.resolve("rebind.example")).resolves.toEqual(["93.184.215.14"]);
    const before = requests;
    await expect(get(`http://rebind.example:${port}/`, guard.httpAgent())).rejects.toThrow(
      "rebind.example resolves to 127.0.0.1, a loopback address: not allowed for outbound calls",
    );
    expect(requests).toBe(before);
  });

  it("check IP literals, which sockets never look up, and Unix sockets", async () => {
    const guard = new OutboundGuard();
    const before = requests;
    for (const url of [`http://127.0.0.1:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`]) {
      await expect(get(url, guard.httpAgent()), url).rejects.toBeInstanceOf(AddressNotAllowed);
    }
    await expect(
      new Promise((resolve, reject) =>
        http.get({ socketPath: "/var/run/docker.sock", path: "/", agent: guard.httpAgent() }, resolve).on("error", reject),
      ),
    ).rejects.toBeInstanceOf(AddressNotAllowed);
    expect(requests).toBe(before);
  });

  it("go through once the operator allows the network", async () => {
    const guard = new OutboundGuard(parseAllowList("127.0.0.1/32"), fakeDns({ "stand-in.test": ["127.0.0.1"] }));
    const before = requests;
    expect(await get(`http://127.0.0.1:${port}/`, guard.httpAgent())).toBe(200);
    expect(await get(`http://stand-in.test:${port}/`, guard.httpAgent())).toBe(200);
    expect(requests).toBe(before + 2);
  });
});

describe("OUTBOUND_ALLOW_PRIVATE", () => {
  const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: "memory://", ...env });

  it("takes addresses and CIDRs; empty by default", () => {
    expect(load({}).outbound.allowPrivate).toEqual([]);
    expect(load({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32, ::1,10.0.0.0/8" }).outbound.allowPrivate).toEqual([
      { network: "127.0.0.1", prefix: 32, family: "ipv4" },
      { network: "::1", prefix: 128, family: "ipv6" },
      { network: "10.0.0.0", prefix: 8, family: "ipv4" },
    ]);
  });

  it("stops the server on an entry that is not an address or CIDR, and on the old WEBHOOKS_ALLOW_PRIVATE", () => {
    for (const bad of ["localhost", "127.0.0.1/33", "10.0.0.0/8/1", "::1/129", "2130706433", "127.0.0.1/x"]) {
      expect(() => load({ OUTBOUND_ALLOW_PRIVATE: bad }), bad).toThrow(ConfigError);
      expect(() => load({ OUTBOUND_ALLOW_PRIVATE: bad }), bad).toThrow(
        /OUTBOUND_ALLOW_PRIVATE: ".*" is not an IPv4 or IPv6 address or CIDR/,
      );
    }
    expect(() => load({ WEBHOOKS_ALLOW_PRIVATE: "true" })).toThrow(/WEBHOOKS_ALLOW_PRIVATE: replaced by OUTBOUND_ALLOW_PRIVATE/);
  });
});
