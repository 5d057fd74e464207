import {
  DEVICE_APIS,
  DEVICE_API_TABLE,
  DEVICE_READ_APIS,
  DEVICE_TIMEOUT_MS,
  DEVICE_WRITE_APIS,
  MAX_GPIO_NUMBER,
  MAX_RTC_SECONDS,
  MAX_UART_DATA_LENGTH,
  defaultTimeoutMs,
  deviceApiDefinition,
  isDeviceReadApi,
  restPath,
  restPathFields,
} from './index';

describe('DEVICE_API_TABLE', () => {
  it('lists the apis the firmware knows, in table order', () => {
    expect(DEVICE_APIS).toEqual([
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
    ]);
  });

  it('splits the apis into reads and writes by their access', () => {
    expect(DEVICE_READ_APIS).toEqual([
      'get_status',
      'get_gpio',
      'get_rtc',
      'get_mac',
      'get_ip',
      'get_subnet',
      'get_gateway',
    ]);
    expect(DEVICE_WRITE_APIS).toEqual(['set_status', 'set_gpio', 'set_rtc', 'set_mac', 'write_uart']);
    for (const api of DEVICE_APIS) expect(isDeviceReadApi(api)).toBe(DEVICE_API_TABLE[api].access === 'read');
  });

  it.each(DEVICE_APIS)('%s: reads are GET, writes are PUT or POST, on REST and legacy routes alike', (api) => {
    const { access, rest, legacy } = deviceApiDefinition(api);
    if (access === 'read') {
      expect(rest.method).toBe('GET');
      expect(legacy?.method ?? 'GET').toBe('GET');
    } else {
      expect(['PUT', 'POST']).toContain(rest.method);
      expect(legacy?.method ?? 'POST').toBe('POST');
    }
  });

  it.each(DEVICE_APIS)('%s: the REST path carries only request fields, each as one segment', (api) => {
    const requestFields = Object.keys(deviceApiDefinition(api).request);
    for (const field of restPathFields(api)) expect(requestFields).toContain(field);
    expect(deviceApiDefinition(api).rest.path).toMatch(/^[a-z]+(\/(:[a-z]+|[a-z]+))*$/);
  });

  it('gives every route to one api only', () => {
    const rest = DEVICE_APIS.map((api) => `${DEVICE_API_TABLE[api].rest.method} ${DEVICE_API_TABLE[api].rest.path}`);
    expect(new Set(rest).size).toBe(rest.length);
    const legacy = DEVICE_APIS.map((api) => deviceApiDefinition(api).legacy?.path).filter((p) => p !== undefined);
    expect(new Set(legacy).size).toBe(legacy.length);
  });

  it('states its limits in the field schemas, from the protocol constants', () => {
    expect(DEVICE_API_TABLE.get_gpio.request.number.schema).toEqual({
      type: 'integer',
      minimum: 0,
      maximum: MAX_GPIO_NUMBER,
    });
    expect(DEVICE_API_TABLE.set_rtc.request.value.schema).toEqual({
      type: 'integer',
      minimum: 0,
      maximum: MAX_RTC_SECONDS,
    });
    expect(DEVICE_API_TABLE.write_uart.request.data.schema).toEqual({
      type: 'string',
      maxLength: MAX_UART_DATA_LENGTH,
    });
    expect(DEVICE_API_TABLE.set_gpio.request.value.schema).toMatchObject({ type: 'integer', enum: [0, 1] });
    expect(DEVICE_API_TABLE.set_status.request.status.schema).toEqual({ type: 'string', enum: ['restart'] });
    const mac = new RegExp(DEVICE_API_TABLE.set_mac.request.value.schema.pattern ?? '$never');
    expect(mac.test('AA:bb:cc:dd:ee:ff')).toBe(true);
    expect(mac.test('aa:bb:cc:dd:ee')).toBe(false);
  });

  it('defaults every timeout to DEVICE_TIMEOUT_MS.default, within the bounds', () => {
    for (const api of DEVICE_APIS) {
      expect(defaultTimeoutMs(api)).toBe(DEVICE_TIMEOUT_MS.default);
    }
    expect(DEVICE_TIMEOUT_MS.min).toBeLessThanOrEqual(DEVICE_TIMEOUT_MS.default);
    expect(DEVICE_TIMEOUT_MS.default).toBeLessThanOrEqual(DEVICE_TIMEOUT_MS.max);
  });

  it('fills in and encodes the REST path fields', () => {
    expect(restPathFields('set_gpio')).toEqual(['number']);
    expect(restPathFields('get_status')).toEqual([]);
    expect(restPath('set_gpio', { number: 7, value: 1 })).toBe('gpio/7');
    expect(restPath('get_gpio', { number: 'a/b' })).toBe('gpio/a%2Fb');
    expect(restPath('write_uart', { data: 'x' })).toBe('uart');
  });
});
