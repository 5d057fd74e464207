/** devices register | renew | list | show | unregister. */
import { accessSync, constants, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { CommandOf } from '../args';
import { ApiError, ExitCode, UsageError } from '../errors';
import { CommandResult, field, formatDevice, formatDeviceList, formatTable, renderJson } from '../output';
import { ensurePrivateDir, writeSecretFile } from '../secret-file';
import { CommandContext, accessToken } from './context';

const CSR_PEM = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----/;

/** What POST /devices answers (the fields the CLI relies on). */
interface Registration {
  name: string;
  deviceId: string;
  keyOrigin: string;
  notAfter: string;
  certificate: string;
  caCertificate: string;
  privateKey?: string;
}

function isRegistration(body: unknown): body is Registration {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.certificate === 'string' &&
    typeof b.caCertificate === 'string' &&
    (b.privateKey === undefined || typeof b.privateKey === 'string')
  );
}

/** The files `devices register` writes for a device, by role. */
export function registrationFiles(
  outDir: string,
  name: string,
): { json: string; cert: string; key: string; ca: string } {
  return {
    json: join(outDir, `${name}.json`),
    cert: join(outDir, `${name}_cert.pem`),
    key: join(outDir, `${name}_pkey.pem`),
    ca: join(outDir, 'rootca.pem'),
  };
}

function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function readCsr(ctx: CommandContext, file: string): string {
  const path = resolve(ctx.cwd, file);
  let csr: string;
  try {
    csr = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the CSR file ${path}: ${(error as Error).message}`);
  }
  if (!CSR_PEM.test(csr)) throw new UsageError(`${path} is not a PEM certificate signing request`);
  return csr;
}

export function registerDevice(ctx: CommandContext, args: CommandOf<'devices.register'>): Promise<CommandResult> {
  return issueCertificate(ctx, args, 'POST', '/devices', { name: args.name }, 'Registered');
}

/** A new certificate (and key) for an existing device, saved as `devices register` saves them. */
export function renewDevice(ctx: CommandContext, args: CommandOf<'devices.renew'>): Promise<CommandResult> {
  const query = args.graceSeconds === undefined ? '' : `?graceSeconds=${args.graceSeconds}`;
  const path = `/devices/${encodeURIComponent(args.name)}/certificate${query}`;
  return issueCertificate(ctx, args, 'POST', path, {}, 'Renewed the certificate of');
}

/** Asks for a certificate (registration or renewal) and writes it, its one-time key and the CA to `outDir`. */
async function issueCertificate(
  ctx: CommandContext,
  args: { name: string; keyType?: string; csrFile?: string; outDir: string },
  method: 'POST',
  path: string,
  body: Record<string, string>,
  verb: string,
): Promise<CommandResult> {
  const csr = args.csrFile === undefined ? undefined : readCsr(ctx, args.csrFile);
  // The private key is returned only once: make sure it can be saved before asking for it.
  const outDir = resolve(ctx.cwd, args.outDir);
  try {
    ensurePrivateDir(outDir);
    accessSync(outDir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`cannot write to the output directory ${outDir}: ${(error as Error).message}`);
  }
  const token = accessToken(ctx);
  const request: Record<string, string> = { ...body };
  if (args.keyType !== undefined) request.keyType = args.keyType;
  if (csr !== undefined) request.csr = csr;

  const response = await ctx.http.request(method, path, { body: request, token });
  const registration = response.body;
  if (!isRegistration(registration)) {
    throw new ApiError(response.status, 'BAD_RESPONSE', `${ctx.url} answered the registration without a certificate`);
  }

  const files = registrationFiles(outDir, args.name);
  const written: [string, string][] = [];
  try {
    writeSecretFile(files.json, renderJson(registration));
    written.push([files.json, 'the registration response (the device simulator takes it as --device FILE)']);
    writeSecretFile(files.cert, registration.certificate);
    written.push([files.cert, 'device certificate']);
    if (registration.privateKey !== undefined) {
      writeSecretFile(files.key, registration.privateKey);
      written.push([files.key, 'device private key']);
    }
    writeSecretFile(files.ca, registration.caCertificate);
    written.push([files.ca, 'platform CA certificate (to verify the broker)']);
  } catch (error) {
    // Registered, but not saved: print the response so the one-time key is not lost.
    return {
      json: registration,
      human: [
        `${verb} device "${args.name}", but writing ${outDir} failed: ${(error as Error).message}`,
        'Save this response now; the private key is not shown again:',
        renderJson(registration),
      ].join('\n'),
      exitCode: ExitCode.internal,
    };
  }

  const lines = [
    `${verb} device "${field(registration, 'name')}" (id ${field(registration, 'deviceId')}, key ${field(registration, 'keyOrigin')}, ` +
      `certificate valid until ${field(registration, 'notAfter')}).`,
    'Wrote (mode 0600):',
    formatTable(
      ['FILE', 'WHAT'],
      written.map(([path, what]) => [shown(ctx.cwd, path), what]),
    )
      .split('\n')
      .slice(1)
      .map((line) => `  ${line}`)
      .join('\n'),
  ];
  const jsonFile = shown(ctx.cwd, files.json);
  if (registration.privateKey !== undefined) {
    lines.push(
      `The private key is shown only once and the platform does not keep it: keep ${shown(ctx.cwd, files.key)} safe.`,
      `Simulate the device: npm run simulator -- --device ${jsonFile}`,
    );
  } else {
    lines.push(
      'No private key was returned: the device keeps the key it made the CSR with.',
      `Simulate the device: npm run simulator -- --device ${jsonFile} --key YOUR_KEY.pem`,
    );
  }
  return { json: registration, human: lines.join('\n') };
}

export async function listDevices(ctx: CommandContext): Promise<CommandResult> {
  const response = await ctx.http.request('GET', '/devices', { token: accessToken(ctx) });
  return { json: response.body, human: formatDeviceList(response.body) };
}

export async function showDevice(ctx: CommandContext, args: CommandOf<'devices.show'>): Promise<CommandResult> {
  const response = await ctx.http.request('GET', `/devices/${encodeURIComponent(args.name)}`, {
    token: accessToken(ctx),
  });
  return { json: response.body, human: formatDevice(response.body) };
}

export async function unregisterDevice(
  ctx: CommandContext,
  args: CommandOf<'devices.unregister'>,
): Promise<CommandResult> {
  const response = await ctx.http.request('DELETE', `/devices/${encodeURIComponent(args.name)}`, {
    token: accessToken(ctx),
  });
  return {
    json: response.body,
    human: `Unregistered device "${args.name}": its certificate is revoked and the name is free again.`,
  };
}
