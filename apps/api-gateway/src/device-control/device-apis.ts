import { DeviceApi } from '@app/device-protocol';

/** APIs that only read device state: served as queries. */
export const DEVICE_READ_APIS = [
  'get_status',
  'get_gpio',
  'get_rtc',
  'get_mac',
  'get_ip',
  'get_subnet',
  'get_gateway',
] as const;
export type DeviceReadApi = (typeof DEVICE_READ_APIS)[number];

/** APIs that change the device: served as commands. */
export const DEVICE_WRITE_APIS = ['set_status', 'set_gpio', 'set_rtc', 'set_mac', 'write_uart'] as const;
export type DeviceWriteApi = (typeof DEVICE_WRITE_APIS)[number];

export function isDeviceReadApi(api: DeviceApi): api is DeviceReadApi {
  return (DEVICE_READ_APIS as readonly string[]).includes(api);
}
