import { isIP } from 'node:net';

/** Names every server certificate covers, so local clients and health checks always work. */
export const DEFAULT_SERVER_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export interface ServerNames {
  /** The first requested host name that fits in a CN (64 characters), else `localhost`. */
  readonly commonName: string;
  /** Lowercase, deduplicated. */
  readonly dns: readonly string[];
  /** 4 or 16 bytes each, deduplicated. */
  readonly ip: readonly Buffer[];
}

const MAX_COMMON_NAME_LENGTH = 64;

// One DNS label: letters, digits, '-' and (for docker-compose service names) '_'.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Groups(part: string): number[] {
  if (part === '') return [];
  const groups: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      const [a, b, c, d] = ipv4Bytes(piece);
      groups.push((a << 8) | b, (c << 8) | d);
    } else {
      groups.push(parseInt(piece, 16));
    }
  }
  return groups;
}

/** Bytes of an address that `net.isIP` accepted (iPAddress SAN form). */
export function ipAddressBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(ipv4Bytes(address));
  const [head, tail] = address.split('::');
  const start = ipv6Groups(head);
  const end = tail === undefined ? [] : ipv6Groups(tail);
  const groups = [...start, ...new Array<number>(8 - start.length - end.length).fill(0), ...end];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

/** Readable form of iPAddress bytes (for logs): dotted IPv4, RFC 5952 IPv6. */
export function formatIpAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i));
  // Longest run (of two or more) of zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (part: number[]): string => part.map((group) => group.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/**
 * Validates and classifies host names for a server certificate. IP-looking
 * names (optionally in [brackets]) become iPAddress SANs, the rest dNSName
 * SANs (`*.example.com` wildcards allowed). Throws RangeError naming the
 * first invalid entry.
 */
export function serverNames(hostNames: readonly string[]): ServerNames {
  const requested = hostNames.map((name) => name.trim()).filter((name) => name.length > 0);
  const dns: string[] = [];
  const ip: Buffer[] = [];
  let commonName: string | undefined;
  for (const raw of [...requested, ...DEFAULT_SERVER_NAMES]) {
    const unbracketed = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
    if (isIP(unbracketed)) {
      if (unbracketed.includes('%')) throw new RangeError(`IPv6 zone IDs cannot be certified: "${raw}"`);
      const bytes = ipAddressBytes(unbracketed);
      if (!ip.some((known) => known.equals(bytes))) ip.push(bytes);
      if (unbracketed.length <= MAX_COMMON_NAME_LENGTH) commonName ??= unbracketed;
      continue;
    }
    const name = raw.toLowerCase().replace(/\.$/, '');
    const labels = name.split('.');
    const valid =
      name.length <= 253 &&
      labels.every((label, i) => LABEL.test(label) || (i === 0 && label === '*' && labels.length > 2));
    if (!valid) throw new RangeError(`Invalid host name for the server certificate: "${raw}"`);
    if (!dns.includes(name)) dns.push(name);
    if (name.length <= MAX_COMMON_NAME_LENGTH) commonName ??= name;
  }
  return { commonName: commonName ?? 'localhost', dns, ip };
}
