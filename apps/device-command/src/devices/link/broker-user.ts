import { isValidDeviceId } from '@app/device-protocol';

/**
 * The device id a broker username names, if any: a certificate login's username is the
 * certificate's subject (`SERIALNUMBER=<serial>,CN=<deviceId>` or `CN=<deviceId>`), a
 * password login's the bare device id (the gateway's broker-identity.ts parses it in full).
 */
export function deviceIdOfBrokerUser(user: string | undefined): string | undefined {
  if (!user) return undefined;
  if (isValidDeviceId(user)) return user;
  const match = /(?:^|,)CN=([0-9a-f]{32})$/.exec(user);
  return match ? match[1] : undefined;
}
