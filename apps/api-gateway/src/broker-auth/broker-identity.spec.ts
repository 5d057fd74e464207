import { certificateUsername, isAcceptedCertificate, parseBrokerUsername } from './broker-identity';

const ID = 'a'.repeat(32);
const SERIAL = '363ae9687f1a2a4d9da6387c62319968';

describe('broker identity', () => {
  it('reads the subject RabbitMQ 3.10 sends for our certificates (checked against the real broker)', () => {
    expect(parseBrokerUsername(`SERIALNUMBER=${SERIAL},CN=${ID}`)).toEqual({
      deviceId: ID,
      login: 'certificate',
      certificate: { serial: SERIAL, serialInSubject: true },
    });
    expect(certificateUsername(ID, { serial: SERIAL, serialInSubject: true })).toBe(`SERIALNUMBER=${SERIAL},CN=${ID}`);
  });

  it('reads certificates issued before renewal existed, and password logins', () => {
    expect(parseBrokerUsername(`CN=${ID}`)).toMatchObject({ deviceId: ID, login: 'certificate' });
    expect(certificateUsername(ID, { serial: 'ab', serialInSubject: false })).toBe(`CN=${ID}`);
    expect(parseBrokerUsername(ID)).toEqual({ deviceId: ID, login: 'password' });
  });

  it('refuses anything else: services, other attributes, bad ids', () => {
    for (const name of [
      'CN=svc.api-gateway',
      `O=Evil,CN=${ID}`,
      `SERIALNUMBER=${SERIAL},CN=${ID},O=x`,
      `SERIALNUMBER=XYZ,CN=${ID}`,
      'iotcloud-gateway',
      '',
    ]) {
      expect({ name, identity: parseBrokerUsername(name) }).toEqual({ name, identity: null });
    }
  });

  it('accepts only a presented certificate among the accepted ones', () => {
    const current = { serial: SERIAL, serialInSubject: true };
    const legacy = { serial: '01', serialInSubject: false };
    expect(isAcceptedCertificate({ serial: SERIAL, serialInSubject: true }, [current])).toBe(true);
    expect(isAcceptedCertificate({ serial: 'bb', serialInSubject: true }, [current])).toBe(false);
    expect(isAcceptedCertificate({ serial: '', serialInSubject: false }, [current])).toBe(false);
    expect(isAcceptedCertificate({ serial: '', serialInSubject: false }, [current, legacy])).toBe(true);
    expect(isAcceptedCertificate({ serial: 'bb', serialInSubject: true }, [legacy])).toBe(false);
  });
});
