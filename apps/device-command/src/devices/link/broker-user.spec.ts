import { deviceIdOfBrokerUser } from './broker-user';

const D = '3f9c2a1e7b4d4c0e9a8f6b5d4c3b2a19';

describe('deviceIdOfBrokerUser', () => {
  it('reads the device id of certificate and password logins', () => {
    expect(deviceIdOfBrokerUser(`SERIALNUMBER=0a1b,CN=${D}`)).toBe(D);
    expect(deviceIdOfBrokerUser(`CN=${D}`)).toBe(D);
    expect(deviceIdOfBrokerUser(D)).toBe(D);
  });

  it('names no device for service accounts and anything else', () => {
    expect(deviceIdOfBrokerUser('CN=svc.device-command')).toBeUndefined();
    expect(deviceIdOfBrokerUser('iotcloud-admin')).toBeUndefined();
    expect(deviceIdOfBrokerUser(`CN=${D.toUpperCase()}`)).toBeUndefined();
    expect(deviceIdOfBrokerUser(undefined)).toBeUndefined();
  });
});
