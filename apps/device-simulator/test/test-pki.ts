/** Throwaway PKI for the simulator's tests: a CA, a localhost server certificate and device certificates. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority, PKI_FILE_NAMES, ensurePkiFiles, issueDeviceCertificate } from '@app/pki';
import { generateDeviceId } from '@app/device-protocol';

export interface TestPki {
  ca: CertificateAuthority;
  serverCert: string;
  serverKey: string;
  cleanup(): Promise<void>;
}

export interface TestDevice {
  deviceId: string;
  certificatePem: string;
  privateKeyPem: string;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-pki-'));
  await ensurePkiFiles({ dir });
  const read = (name: string): Promise<string> => readFile(join(dir, name), 'utf8');
  const [certificatePem, privateKeyPem, serverCert, serverKey] = await Promise.all([
    read(PKI_FILE_NAMES.caCert),
    read(PKI_FILE_NAMES.caKey),
    read(PKI_FILE_NAMES.serverCert),
    read(PKI_FILE_NAMES.serverKey),
  ]);
  return {
    ca: { certificatePem, privateKeyPem },
    serverCert,
    serverKey,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** EC keys: fast to generate, fine for TLS. */
export async function createTestDevice(ca: CertificateAuthority, deviceId = generateDeviceId()): Promise<TestDevice> {
  const issued = await issueDeviceCertificate({ ca, deviceId, keyType: 'ec' });
  return { deviceId, certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem as string };
}
