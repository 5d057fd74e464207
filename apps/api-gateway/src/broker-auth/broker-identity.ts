import { isValidDeviceId } from '@app/device-protocol';
import { CertificateIdentity } from '../devices/domain/device';

/**
 * Who a broker username names. RabbitMQ takes a certificate login's username from the
 * certificate's whole subject (`ssl_cert_login_from = distinguished_name`), formatted
 * RFC 4514-style, last attribute first: `SERIALNUMBER=<serial>,CN=<deviceId>` for the
 * certificates the platform issues (the serial tells a device's certificates apart), or
 * `CN=<deviceId>` for certificates issued before renewal existed. A password login's
 * username is the bare deviceId.
 */
export type BrokerIdentity =
  | { deviceId: string; login: 'certificate'; certificate: CertificateIdentity }
  | { deviceId: string; login: 'password' };

const SUBJECT = /^(?:SERIALNUMBER=([0-9a-f]{1,64}),)?CN=([^,=+\\"<>;#]+)$/;

export function parseBrokerUsername(username: string): BrokerIdentity | null {
  if (isValidDeviceId(username)) return { deviceId: username, login: 'password' };
  const match = SUBJECT.exec(username);
  if (!match || !isValidDeviceId(match[2])) return null;
  const [, serial, deviceId] = match;
  return serial
    ? { deviceId, login: 'certificate', certificate: { serial, serialInSubject: true } }
    : { deviceId, login: 'certificate', certificate: { serial: '', serialInSubject: false } };
}

/** The username RabbitMQ gives a login with this certificate of the device (see parseBrokerUsername). */
export function certificateUsername(deviceId: string, certificate: CertificateIdentity): string {
  return certificate.serialInSubject ? `SERIALNUMBER=${certificate.serial},CN=${deviceId}` : `CN=${deviceId}`;
}

/** Whether a certificate login presents one of the certificates the device may use now. */
export function isAcceptedCertificate(presented: CertificateIdentity, accepted: CertificateIdentity[]): boolean {
  return accepted.some((c) =>
    c.serialInSubject ? presented.serialInSubject && presented.serial === c.serial : !presented.serialInSubject,
  );
}
