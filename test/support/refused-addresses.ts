/**
 * URLs the server must never call on a tenant's behalf unless the operator
 * lists their network in OUTBOUND_ALLOW_PRIVATE: every spelling of loopback,
 * private, link-local (cloud metadata), multicast and reserved addresses, in
 * IPv4 and IPv6, and IPv6 forms that carry such an IPv4 address. The comment
 * says what each one really is.
 */
export const REFUSED_URLS: readonly string[] = [
  // IPv4, in every spelling the URL standard accepts
  "http://127.0.0.1:8080/hook",
  "http://2130706433/hook", // 127.0.0.1 as one decimal number
  "http://0177.0.0.1/hook", // octal
  "http://017700000001/hook", // octal, one number
  "http://0x7f.0.0.1/hook", // hex
  "http://0x7f000001/hook", // hex, one number
  "http://127.1/hook", // short form
  "http://127.0.0.1./hook", // trailing dot
  "http://0/hook", // 0.0.0.0
  "http://0.0.0.0/hook",
  "https://10.1.2.3/hook",
  "http://172.20.0.5/hook",
  "http://192.168.1.10/hook",
  "http://100.64.0.7/hook", // carrier-grade NAT
  "http://169.254.169.254/latest/meta-data", // cloud metadata
  "http://0xa9fea9fe/latest/meta-data", // the same, in hex
  "http://224.0.0.1/hook", // multicast
  "http://255.255.255.255/hook", // broadcast
  // names that resolve to loopback
  "http://localhost:8080/hook",
  "http://LocalHost/hook",
  // IPv6
  "http://[::1]/hook",
  "http://[0:0:0:0:0:0:0:1]/hook",
  "http://[::]/hook",
  "http://[::ffff:127.0.0.1]/hook", // IPv4-mapped
  "http://[::ffff:7f00:1]/hook", // IPv4-mapped, hex
  "http://[::ffff:169.254.169.254]/hook",
  "http://[::127.0.0.1]/hook", // IPv4-compatible
  "http://[::7f00:1]/hook", // IPv4-compatible, hex
  "http://[::ffff:0:127.0.0.1]/hook", // IPv4-translated
  "http://[64:ff9b::10.0.0.1]/hook", // NAT64 of a private address
  "http://[64:ff9b::a9fe:a9fe]/hook", // NAT64 of cloud metadata
  "http://[64:ff9b:1::1]/hook", // local-use NAT64
  "http://[2002:7f00:1::1]/hook", // 6to4 of 127.0.0.1
  "http://[2002:a9fe:a9fe::1]/hook", // 6to4 of cloud metadata
  "http://[fd00::1]/hook", // unique-local
  "http://[fc00::1]/hook",
  "http://[fe80::1]/hook", // link-local
  "http://[fec0::1]/hook", // site-local
  "http://[ff02::1]/hook", // multicast
  "http://[2001::1]/hook", // Teredo
  "http://[2001:db8::1]/hook", // documentation
  "http://[100::1]/hook", // discard-only
];

/** An operator allow-list that lets every one of them through. */
export const ALLOW_EVERYTHING = "0.0.0.0/0,::/0";
