/**
 * Test helpers: the openssl CLI as an independent verifier and CSR generator.
 * Not part of the library (tsconfig.lib.json excludes test/).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function openssl(args: readonly string[]): Promise<OpensslResult> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`openssl could not run: ${error.message}`, { cause: error }));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

let counter = 0;
async function tempFile(dir: string, contents: string): Promise<string> {
  const path = join(dir, `f${process.pid}-${counter++}.pem`);
  await writeFile(path, contents);
  return path;
}

/** `openssl verify -CAfile ca cert`; the result's code is 0 only if the chain verifies. */
export async function opensslVerify(dir: string, caPem: string, certificatePem: string): Promise<OpensslResult> {
  const caFile = await tempFile(dir, caPem);
  const certFile = await tempFile(dir, certificatePem);
  return openssl(['verify', '-CAfile', caFile, certFile]);
}

/** `openssl x509 -noout -text -purpose` output. */
export async function opensslText(dir: string, certificatePem: string): Promise<string> {
  const certFile = await tempFile(dir, certificatePem);
  const result = await openssl(['x509', '-in', certFile, '-noout', '-text', '-purpose']);
  if (result.code !== 0) throw new Error(`openssl x509 failed: ${result.stderr}`);
  return result.stdout;
}

export type CsrKey = 'rsa:2048' | 'rsa:1024' | 'P-256' | 'secp256k1' | 'ed25519';

/** A CSR made by `openssl req -new -newkey ... -nodes`, and its private key. */
export async function opensslCsr(
  dir: string,
  key: CsrKey,
  subject: string,
  extraArgs: readonly string[] = [],
): Promise<{ csrPem: string; keyPem: string }> {
  const id = `${process.pid}-${counter++}`;
  const keyFile = join(dir, `csr-key-${id}.pem`);
  const csrFile = join(dir, `csr-${id}.pem`);
  const newKey =
    key === 'P-256' || key === 'secp256k1'
      ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${key}`]
      : ['-newkey', key];
  const result = await openssl([
    'req',
    '-new',
    ...newKey,
    '-nodes',
    '-keyout',
    keyFile,
    '-subj',
    subject,
    '-out',
    csrFile,
    ...extraArgs,
  ]);
  if (result.code !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
  return { csrPem: await readFile(csrFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') };
}
