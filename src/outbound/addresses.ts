import { BlockList, isIP } from "node:net";

/**
 * Which IP addresses the server may call on a tenant's behalf (webhooks,
 * plugin URLs): public ones only. Everything else is a way to make the server
 * call into its own network (SSRF): this machine, private networks, link-local
 * (cloud metadata at 169.254.169.254), multicast, reserved ranges, and IPv6
 * addresses that carry one of those IPv4 addresses inside them.
 *
 * Ranges are matched by node:net's BlockList, never by patterns on the text:
 * an address is judged by its value, however it is spelled.
 */

type Range = readonly [network: string, prefix: number, kind: string];

const IPV4_REFUSED: Range[] = [
  ["0.0.0.0", 8, "this-network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignment"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

const IPV6_REFUSED: Range[] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["100::", 64, "discard-only"],
  ["64:ff9b:1::", 48, "local-use NAT64"],
  ["2001::", 23, "IETF protocol assignment (Teredo, benchmarking, ORCHID)"],
  ["2001:db8::", 32, "documentation"],
  ["3fff::", 20, "documentation"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local"],
  ["ff00::", 8, "multicast"],
];

/**
 * IPv6 ranges whose addresses carry an IPv4 address at a byte offset: they
 * are judged by that IPv4 address (::ffff:127.0.0.1 is loopback, and so is
 * 2002:7f00:1:: as far as a 6to4 relay is concerned).
 */
const IPV4_CARRIERS: (readonly [network: string, prefix: number, name: string, offset: number])[] = [
  ["::ffff:0:0", 96, "IPv4-mapped", 12],
  ["::ffff:0:0:0", 96, "IPv4-translated", 12],
  ["::", 96, "IPv4-compatible", 12],
  ["64:ff9b::", 96, "NAT64", 12],
  ["2002::", 16, "6to4", 2],
];

const single = (network: string, prefix: number, family: "ipv4" | "ipv6") => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return list;
};

const ipv4Refused = IPV4_REFUSED.map(([net, prefix, kind]) => ({ list: single(net, prefix, "ipv4"), kind }));
const ipv6Refused = IPV6_REFUSED.map(([net, prefix, kind]) => ({ list: single(net, prefix, "ipv6"), kind }));
const ipv4Carriers = IPV4_CARRIERS.map(([net, prefix, name, offset]) => ({ list: single(net, prefix, "ipv6"), name, offset }));
// Only global unicast is routed on the internet; the rest of the IPv6 space is reserved.
const globalUnicast = single("2000::", 3, "ipv6");

/** The canonical text of an IPv6 address (the URL standard's serializer: lower-case, compressed, no dotted part). */
function canonicalIpv6(address: string): string | null {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/** The 16 bytes of a canonical IPv6 address. */
function ipv6Bytes(canonical: string): number[] {
  const [head, tail] = canonical.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 255];
  });
}

/**
 * Why the server may not call this IP address ("a loopback address",
 * "IPv4-mapped 127.0.0.1, a loopback address"…), or null when it is public.
 * Anything that is not an IP address is refused too.
 */
const a = (kind: string) => `${/^[aeiouIU]/.test(kind) ? "an" : "a"} ${kind} address`;

export function refusalOf(address: string): string | null {
  const family = isIP(address);
  if (family === 4) {
    const hit = ipv4Refused.find((r) => r.list.check(address, "ipv4"));
    return hit ? a(hit.kind) : null;
  }
  if (family !== 6) return "not an IP address";
  // A zone index (fe80::1%eth0) only exists on link-local addresses.
  if (address.includes("%")) return "a link-local address";
  const canonical = canonicalIpv6(address);
  if (!canonical) return "not an IP address";
  const named = ipv6Refused.find((r) => r.list.check(canonical, "ipv6"));
  if (named && (named.kind === "unspecified" || named.kind === "loopback")) return a(named.kind);
  const carrier = ipv4Carriers.find((c) => c.list.check(canonical, "ipv6"));
  if (carrier) {
    const v4 = ipv6Bytes(canonical)
      .slice(carrier.offset, carrier.offset + 4)
      .join(".");
    const inner = refusalOf(v4);
    return inner ? `${carrier.name} ${v4}, ${inner}` : null;
  }
  if (named) return a(named.kind);
  if (!globalUnicast.check(canonical, "ipv6")) return "a reserved IPv6 address";
  return null;
}
