/** Every api a device understands. The api is the last word of the topic. */
export const DEVICE_APIS = [
  'get_status',
  'set_status',
  'get_gpio',
  'set_gpio',
  'get_rtc',
  'set_rtc',
  'get_mac',
  'set_mac',
  'get_ip',
  'get_subnet',
  'get_gateway',
  'write_uart',
] as const;

export type DeviceApi = (typeof DEVICE_APIS)[number];

const API_SET: ReadonlySet<string> = new Set<string>(DEVICE_APIS);

export function isDeviceApi(value: string): value is DeviceApi {
  return typeof value === 'string' && API_SET.has(value);
}

/** A GPIO level: firmware sends JSON numbers, never booleans. */
export type GpioValue = 0 | 1;

/** Request payload per api (what the platform publishes on `{deviceId}/{api}`). */
export interface DeviceRequestMap {
  get_status: Record<string, never>;
  set_status: { status: 'restart' };
  get_gpio: { number: number };
  set_gpio: { number: number; value: GpioValue };
  get_rtc: Record<string, never>;
  set_rtc: { value: number };
  get_mac: Record<string, never>;
  set_mac: { value: string };
  get_ip: Record<string, never>;
  get_subnet: Record<string, never>;
  get_gateway: Record<string, never>;
  write_uart: { data: string };
}

/** Reply payload per api (what the device publishes on `server/{deviceId}/{api}`). */
export interface DeviceReplyMap {
  get_status: { status: 'running' };
  set_status: { status: 'restarting' };
  get_gpio: { number: number; value: GpioValue };
  set_gpio: { number: number; value: GpioValue };
  get_rtc: { value: number };
  set_rtc: { value: number };
  get_mac: { value: string };
  set_mac: { value: string };
  get_ip: { value: string };
  get_subnet: { value: string };
  get_gateway: { value: string };
  write_uart: { data: string };
}

export type DeviceRequest<A extends DeviceApi = DeviceApi> = DeviceRequestMap[A];
export type DeviceReply<A extends DeviceApi = DeviceApi> = DeviceReplyMap[A];
