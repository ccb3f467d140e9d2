import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may never reach unless private networks are allowed (local development):
 * loopback, private (RFC 1918, ULA), link-local (cloud metadata at 169.254.169.254 and
 * fd00:ec2::254 included), CGNAT, unspecified, and IPv4 reached through IPv6 mappings.
 */
const RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'CGNAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'private'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'private'],
  ['224.0.0.0', 3, 'ipv4', 'multicast or reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const lists = RANGES.map(([address, prefix, family, reason]) => {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { list, family, reason };
});

/** An IPv4 address carried in IPv6 (`::ffff:10.0.0.1`, `::ffff:a00:1`), as IPv4; else undefined. */
function embeddedIpv4(address: string): string | undefined {
  const m = /^::ffff:(?:0:)?(.+)$/i.exec(address);
  if (!m) return undefined;
  if (isIP(m[1]!) === 4) return m[1];
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(m[1]!);
  if (!hex) return undefined;
  const n = (Number.parseInt(hex[1]!, 16) << 16) | Number.parseInt(hex[2]!, 16);
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Why `address` (an IP literal) is refused as a webhook target, or undefined when it is public. */
export function refusedAddress(address: string): string | undefined {
  const v4 = embeddedIpv4(address);
  const ip = v4 ?? address;
  const family = isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined;
  if (!family) return 'not an IP address';
  const hit = lists.find((l) => l.family === family && l.list.check(ip, family));
  return hit ? `${address} is a ${hit.reason} address` : undefined;
}
