// Where a webhook may point (SSRF protection): in production an https URL on the default port
// whose host is a public name or a public address. Loopback, private, shared (CGNAT), link-local
// and unique-local addresses, cloud metadata endpoints, and names that only mean something inside
// a network (`localhost`, `*.internal`, `*.local`) are refused, whatever spelling the address has:
// the WHATWG URL parser turns `2130706433`, `0x7f.1` or `[::ffff:7f00:1]` into their canonical
// forms before these checks run. Outside production, http and any port are allowed too, and hosts
// on the allow-list (`host` or `host:port`, for a local receiver) skip the address checks.
// A Worker cannot resolve names itself, so a public name that resolves to a private address is not
// caught here; Cloudflare's fetch does not reach private networks from a Worker.

export interface TargetPolicy {
  production: boolean;
  /** `host` or `host:port` entries allowed whatever their address (development and tests). */
  allowHosts: readonly string[];
}

const INTERNAL_NAMES = /(^|\.)(localhost|internal|local|localdomain|home\.arpa)$/;
const METADATA_NAMES = new Set(["metadata.google.internal", "metadata", "instance-data"]);

function ipv4Parts(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  const numbers = parts.map(Number);
  return numbers.every((n) => n <= 255) ? numbers : undefined;
}

/** Why an IPv4 address is not public, if it is not. */
function ipv4Problem([a = 0, b = 0]: number[]): string | undefined {
  if (a === 0) return "an unspecified address";
  if (a === 127) return "a loopback address";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "a private address";
  if (a === 100 && b >= 64 && b <= 127) return "a shared (CGNAT) address";
  if (a === 169 && b === 254) return "a link-local or metadata address";
  if (a === 192 && b === 0) return "a reserved address";
  if (a === 198 && (b === 18 || b === 19)) return "a benchmarking address";
  if (a >= 224) return "a multicast or reserved address";
  return undefined;
}

/** The 16-bit groups of an IPv6 address in canonical (URL-parsed) form. */
function ipv6Groups(host: string): number[] {
  const [head = "", tail] = host.split("::");
  const parse = (text: string) => (text ? text.split(":").map((group) => Number.parseInt(group, 16)) : []);
  const start = parse(head);
  const end = tail === undefined ? [] : parse(tail);
  return [...start, ...Array(8 - start.length - end.length).fill(0), ...end];
}

function ipv6Problem(host: string): string | undefined {
  const groups = ipv6Groups(host);
  const [first = 0] = groups;
  if (groups.every((group) => group === 0)) return "an unspecified address";
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return "a loopback address";
  // IPv4-mapped (::ffff:a.b.c.d), which the URL parser writes in hex: judge the IPv4 address.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return ipv4Problem([high >> 8, high & 255, low >> 8, low & 255]);
  }
  if ((first & 0xfe00) === 0xfc00) return "a unique-local address";
  if ((first & 0xffc0) === 0xfe80) return "a link-local address";
  if ((first & 0xff00) === 0xff00) return "a multicast address";
  return undefined;
}

/** Why a webhook may not point at `text` under `policy`, or undefined when it may. */
export function webhookTargetProblem(text: string, policy: TargetPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !policy.production)) {
    return policy.production ? "must be an https URL" : "must be an http or https URL";
  }
  if (url.username || url.password) return "must not carry credentials";
  const host = url.hostname.toLowerCase();
  if (policy.allowHosts.includes(host) || policy.allowHosts.includes(url.host.toLowerCase()))
    return undefined;
  if (policy.production && url.port !== "") return "must use the default port (443)";
  if (host.startsWith("[")) {
    const problem = ipv6Problem(host.slice(1, -1));
    return problem ? `points at ${problem}` : undefined;
  }
  const ipv4 = ipv4Parts(host);
  if (ipv4) {
    const problem = ipv4Problem(ipv4);
    return problem ? `points at ${problem}` : undefined;
  }
  if (METADATA_NAMES.has(host)) return "points at a metadata endpoint";
  if (INTERNAL_NAMES.test(host) || !host.includes(".")) return "points at a name of a local network";
  return undefined;
}
