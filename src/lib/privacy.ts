// Personal data kept out of logs and stored only reduced: client addresses truncated to their
// network (IPv4 /24, IPv6 /48), email addresses masked to their domain.

/** `203.0.113.77` → `203.0.113.0`; `2001:db8:85a3:8d3:…` → `2001:db8:85a3::`; anything else → undefined. */
export function truncateIp(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0`;
  if (ip.includes(":") && /^[0-9a-f:.]+$/i.test(ip)) {
    const [head = ""] = ip.split("::");
    const groups = head.split(":").filter(Boolean).slice(0, 3);
    return `${groups.join(":")}::`;
  }
  return undefined;
}

const EMAIL = /[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;
const IPV4 = /\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b/g;
const IPV6 = /[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}/gi;

/** An IPv6 address has `::` or at least five colons; `15:31:50` (a time) is left alone. */
const looksLikeIpv6 = (text: string) => text.includes("::") || text.split(":").length >= 6;

/** Masks email addresses (`***@example.com`) and truncates IP addresses inside free text. */
export function maskPersonalData(text: string): string {
  return text
    .replace(EMAIL, "***@$1")
    .replace(IPV4, "$1.0")
    .replace(IPV6, (text) => (looksLikeIpv6(text) ? (truncateIp(text) ?? "[ip]") : text));
}
