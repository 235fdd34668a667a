import { lookup } from "node:dns/promises";
import type { LookupAddress, LookupOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * Where a webhook may not go: this machine, private networks, link-local
 * (cloud metadata at 169.254.169.254), carrier-grade NAT and the like. A
 * partner's endpoint is on the internet; anything else is a way to make the
 * server call into its own network (SSRF).
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, "ipv6");
}

/** IPv4 addresses written as IPv6 (::ffff:10.0.0.1, and NAT64's 64:ff9b::/96) are judged as IPv4. */
function embeddedIpv4(address: string): string | null {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/** Whether a webhook may be sent to this IP address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, "ipv4");
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  if (v4) return !blocked.check(v4, "ipv4");
  return !blocked.check(address, "ipv6");
}

export class AddressRefused extends Error {}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/**
 * Resolves a URL's host and returns its addresses, refusing it when any of
 * them is not public (unless private ones are allowed). Every address counts:
 * a name that resolves to a public and a private address is refused.
 */
export function resolveEndpoint(url: URL, allowPrivate: boolean): Promise<string[]> {
  return resolveHost(hostOf(url), allowPrivate);
}

async function resolveHost(host: string, allowPrivate: boolean): Promise<string[]> {
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  if (!addresses.length) throw new AddressRefused(`${host} does not resolve`);
  const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a));
  if (refused) throw new AddressRefused(`${host} resolves to ${refused}, a loopback, private or reserved address`);
  return addresses;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that checks the addresses it hands to the
 * socket: the check and the connection use the same answer, so a name that
 * changes its address between registration and delivery (DNS rebinding) is
 * caught at delivery.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolveHost(hostname, allowPrivate).then(
      (addresses) => {
        const family = (a: string) => isIP(a);
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => family(a) === options.family) : addresses;
        if (!wanted.length) return callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: "ENOTFOUND" }), []);
        if (options.all) callback(null, wanted.map((address) => ({ address, family: family(address) })));
        else callback(null, wanted[0]!, family(wanted[0]!));
      },
      (err: Error) => callback(Object.assign(err, { code: (err as NodeJS.ErrnoException).code ?? "EADDRNOTALLOWED" }), []),
    );
  };
}

/** Whether a URL's host is written as an IP address (sockets skip `lookup` for those). */
export const isIpLiteral = (url: URL) => isIP(hostOf(url)) !== 0;
