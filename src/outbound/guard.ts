import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress, LookupOptions } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type BlockList, type Socket } from "node:net";
import { refusalOf } from "./addresses.js";
import { allowListOf, type AllowedNetwork } from "./allow-list.js";

/** The code on every refusal, so that callers (and vendor SDK errors wrapping it) can tell it from a network failure. */
export const ADDRESS_NOT_ALLOWED = "ADDRESS_NOT_ALLOWED";

const NOT_ALLOWED = "not allowed for outbound calls";

/** The server would have called an address that is not public and that the operator did not allow. */
export class AddressNotAllowed extends Error {
  readonly code = ADDRESS_NOT_ALLOWED;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(host === address ? `${address} is ${reason}: ${NOT_ALLOWED}` : `${host} resolves to ${address}, ${reason}: ${NOT_ALLOWED}`);
    this.name = "AddressNotAllowed";
  }
}

/**
 * Whether an error is the guard's refusal, also when a client library wrapped
 * it and kept only the message (the Elasticsearch client's ConnectionError).
 */
export const isAddressRefusal = (err: unknown): boolean =>
  (err as { code?: unknown })?.code === ADDRESS_NOT_ALLOWED || String((err as Error)?.message ?? "").endsWith(NOT_ALLOWED);

export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The one check for every connection the server opens on a tenant's behalf:
 * an address passes when it is public or inside a network the operator listed
 * in OUTBOUND_ALLOW_PRIVATE. Tenants have no say in it.
 *
 * The check is made on the very addresses the socket connects to (`lookup`
 * and `createConnection` of the agents below), so a name that resolves to a
 * public address when it is saved and to a private one when it is called (DNS
 * rebinding) is caught at the call, and so is every redirect the client follows.
 */
export class OutboundGuard {
  private readonly allowed: BlockList;

  constructor(
    networks: readonly AllowedNetwork[] = [],
    private readonly resolveHost: Resolve = systemResolve,
  ) {
    this.allowed = allowListOf(networks);
  }

  /** Why the server may not call this address, or null when it may. */
  refusal(address: string): string | null {
    const reason = refusalOf(address);
    if (!reason) return null;
    const family = isIP(address);
    if (family && !address.includes("%") && this.allowed.check(address, family === 4 ? "ipv4" : "ipv6")) return null;
    return reason;
  }

  /**
   * The addresses a host (a name or an IP literal, IPv6 with or without
   * brackets) resolves to, all of them allowed. A name with one address that
   * is not allowed is refused as a whole: the client could pick any of them.
   */
  async resolve(host: string): Promise<string[]> {
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    const addresses = isIP(bare) ? [bare] : await this.resolveHost(bare);
    if (!addresses.length) throw Object.assign(new Error(`${bare} does not resolve`), { code: "ENOTFOUND" });
    for (const address of addresses) {
      const reason = this.refusal(address);
      if (reason) throw new AddressNotAllowed(bare, address, reason);
    }
    return addresses;
  }

  /**
   * What can be told without DNS, for a client about to be built on a stored
   * URL: it is http(s), and its host, when an IP literal, is allowed. A name
   * is checked by the agents when they connect.
   */
  checkUrlNow(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw Object.assign(new Error("not a URL"), { code: "INVALID_URL" });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw Object.assign(new Error("not an http or https URL"), { code: "INVALID_URL" });
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const reason = isIP(host) ? this.refusal(host) : null;
    if (reason) throw new AddressNotAllowed(host, host, reason);
    return url;
  }

  /** A `lookup` for net/http/tls that hands the socket only checked addresses. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.resolve(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => isIP(a) === options.family) : addresses;
        if (!wanted.length)
          return callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: "ENOTFOUND" }), []);
        if (options.all)
          callback(
            null,
            wanted.map((address) => ({ address, family: isIP(address) })),
          );
        else callback(null, wanted[0]!, isIP(wanted[0]!));
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };

  /** An http.Agent whose every connection passes the guard. */
  httpAgent(options: http.AgentOptions = {}): http.Agent {
    return guarded(new http.Agent({ ...options, lookup: this.lookup } as http.AgentOptions), this);
  }

  /** An https.Agent whose every connection passes the guard (certificates are checked against the name, as usual). */
  httpsAgent(options: https.AgentOptions = {}): https.Agent {
    return guarded(new https.Agent({ ...options, lookup: this.lookup } as https.AgentOptions), this);
  }
}

type Connect = (options: Record<string, unknown>, callback: (err: Error | null, socket?: Socket) => void) => Socket | undefined;

/**
 * Sockets skip `lookup` for an IP literal, and a Unix socket path has no
 * address at all: both are judged here before the agent connects.
 */
function guarded<A extends http.Agent>(agent: A, guard: OutboundGuard): A {
  const target = agent as unknown as { createConnection: Connect };
  const connect = target.createConnection.bind(agent);
  target.createConnection = (options, callback) => {
    const host = String(options.host ?? options.hostname ?? "").replace(/^\[(.*)\]$/, "$1");
    let refused: Error | null = null;
    if (options.socketPath) refused = new AddressNotAllowed(String(options.socketPath), String(options.socketPath), "a local socket");
    else if (isIP(host)) {
      const reason = guard.refusal(host);
      if (reason) refused = new AddressNotAllowed(host, host, reason);
    }
    if (refused) {
      callback(refused);
      return undefined;
    }
    return connect(options, callback);
  };
  return agent;
}

const guards = new WeakMap<object, OutboundGuard>();

/** The guard for a server's configuration (one per configuration, so agents and their pools are shared). */
export function outboundGuard(config: { outbound: { allowPrivate: readonly AllowedNetwork[] } }): OutboundGuard {
  let guard = guards.get(config.outbound);
  if (!guard) {
    guard = new OutboundGuard(config.outbound.allowPrivate);
    guards.set(config.outbound, guard);
  }
  return guard;
}
