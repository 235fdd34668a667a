import { BlockList, isIP } from "node:net";

/** One network the operator trusts the server to call although it is not public. */
export interface AllowedNetwork {
  network: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/**
 * Parses OUTBOUND_ALLOW_PRIVATE: comma-separated addresses or CIDRs
 * (`127.0.0.1/32,::1,10.20.0.0/16`). A bare address is a network of one.
 * Throws with the offending entry when one is not an address or CIDR.
 */
export function parseAllowList(raw: string | undefined): AllowedNetwork[] {
  const entries = (raw ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    const [network = "", prefixText, extra] = entry.split("/");
    const version = isIP(network);
    const max = version === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!version || extra !== undefined || !/^\d+$/.test(prefixText ?? String(max)) || prefix > max) {
      throw new Error(`"${entry}" is not an IPv4 or IPv6 address or CIDR (such as 127.0.0.1/32 or ::1)`);
    }
    return { network, prefix, family: version === 4 ? "ipv4" : "ipv6" };
  });
}

export function allowListOf(networks: readonly AllowedNetwork[]): BlockList {
  const list = new BlockList();
  for (const n of networks) list.addSubnet(n.network, n.prefix, n.family);
  return list;
}
