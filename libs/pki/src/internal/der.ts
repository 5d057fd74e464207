/**
 * A small strict DER reader over Buffers, and PEM framing. Reading keeps
 * exact byte ranges, which is what signature checks need (a CSR signature
 * covers the bytes as sent, not a re-encoding of them). Writing is done with
 * node-forge's asn1 (see x509.ts).
 */

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [n] constructed, context-specific */
  context: (n: number): number => 0xa0 | n,
  /** [n] primitive, context-specific */
  contextPrimitive: (n: number): number => 0x80 | n,
} as const;

export class DerError extends Error {}

export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

const MAX_LENGTH_OCTETS = 4;

function readElement(buf: Buffer, offset: number, limit: number): DerElement {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let pos = offset + 1;
  const first = buf[pos++];
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > MAX_LENGTH_OCTETS) throw new DerError('length too large');
    if (pos + count > limit) throw new DerError('truncated length');
    if (buf[pos] === 0) throw new DerError('non-minimal length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++];
    if (length < 0x80) throw new DerError('non-minimal length');
  }
  if (pos + length > limit) throw new DerError('truncated content');
  return { tag, start: offset, contentStart: pos, end: pos + length };
}

/** Parses `buf` as exactly one element (no trailing bytes). */
export function readTopLevel(buf: Buffer, expectedTag?: number): DerElement {
  const element = readElement(buf, 0, buf.length);
  if (element.end !== buf.length) throw new DerError('trailing bytes after element');
  if (expectedTag !== undefined) expectTag(element, expectedTag);
  return element;
}

/** The elements directly inside a constructed element. */
export function readChildren(buf: Buffer, parent: DerElement): DerElement[] {
  if (!(parent.tag & 0x20)) throw new DerError('element is not constructed');
  const children: DerElement[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readElement(buf, pos, parent.end);
    children.push(child);
    pos = child.end;
  }
  return children;
}

export function expectTag(element: DerElement | undefined, tag: number): DerElement {
  if (!element) throw new DerError(`missing element (expected tag 0x${tag.toString(16)})`);
  if (element.tag !== tag) {
    throw new DerError(`unexpected tag 0x${element.tag.toString(16)} (expected 0x${tag.toString(16)})`);
  }
  return element;
}

/** The whole encoding (identifier, length and content). */
export function encodingOf(buf: Buffer, element: DerElement): Buffer {
  return buf.subarray(element.start, element.end);
}

export function contentOf(buf: Buffer, element: DerElement): Buffer {
  return buf.subarray(element.contentStart, element.end);
}

/** Content of a BIT STRING without the unused-bits octet; only whole-octet bit strings. */
export function bitStringBytes(buf: Buffer, element: DerElement): Buffer {
  expectTag(element, Tag.BIT_STRING);
  const content = contentOf(buf, element);
  if (content.length < 1 || content[0] !== 0) throw new DerError('bit string with unused bits');
  return content.subarray(1);
}

/** Dotted form of an OBJECT IDENTIFIER element. */
export function oidOf(buf: Buffer, element: DerElement): string {
  const content = contentOf(buf, expectTag(element, Tag.OID));
  if (content.length === 0 || content[content.length - 1] & 0x80) throw new DerError('malformed OID');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    if (value === 0 && byte === 0x80) throw new DerError('non-minimal OID arc');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerError('OID arc too large');
    if (!(byte & 0x80)) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  return arcs.join('.');
}

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The DER inside the extnValue OCTET STRING. */
  readonly value: Buffer;
}

/** Elements of a TBSCertificate by name (handles the optional version field). */
export interface TbsCertificateParts {
  readonly subject: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
  readonly extensions: Extension[];
}

/** Splits a DER X.509 certificate into the parts the PKI code needs. */
export function readCertificate(der: Buffer): TbsCertificateParts {
  const cert = readTopLevel(der, Tag.SEQUENCE);
  const [tbs] = readChildren(der, cert);
  const fields = readChildren(der, expectTag(tbs, Tag.SEQUENCE));
  const base = fields[0]?.tag === Tag.context(0) ? 1 : 0;
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const subject = expectTag(fields[base + 4], Tag.SEQUENCE);
  const spki = expectTag(fields[base + 5], Tag.SEQUENCE);
  const extensions: Extension[] = [];
  const extensionsField = fields.slice(base + 6).find((field) => field.tag === Tag.context(3));
  if (extensionsField) {
    const [list] = readChildren(der, extensionsField);
    for (const ext of readChildren(der, expectTag(list, Tag.SEQUENCE))) {
      const parts = readChildren(der, expectTag(ext, Tag.SEQUENCE));
      const critical = parts.length === 3 && contentOf(der, expectTag(parts[1], Tag.BOOLEAN))[0] !== 0;
      const value = contentOf(der, expectTag(parts[parts.length - 1], Tag.OCTET_STRING));
      extensions.push({ oid: oidOf(der, parts[0]), critical, value });
    }
  }
  return { subject: encodingOf(der, subject), subjectPublicKeyInfo: encodingOf(der, spki), extensions };
}

// ---------------------------------------------------------------------------
// PEM

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** DER of the first PEM block with one of `labels`, or undefined if there is none or it is not valid base64. */
export function pemToDer(pem: string, labels: readonly string[]): Buffer | undefined {
  for (const match of pem.matchAll(PEM_BLOCK)) {
    if (!labels.includes(match[1])) continue;
    const body = match[2].replace(/\s+/g, '');
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) return undefined;
    return Buffer.from(body, 'base64');
  }
  return undefined;
}

export function derToPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
