import Ajv from 'ajv';
import {
  DEVICE_APIS,
  DEVICE_API_TABLE,
  DeviceApi,
  InvalidDeviceRequestError,
  MAX_RTC_SECONDS,
  MAX_UART_DATA_LENGTH,
  deviceRequestJsonSchema,
  fieldsJsonSchema,
  parseDeviceRequest,
} from './index';

// A JSON Schema validator reads the schema as clients and the contract test do (formats are left to
// the patterns beside them, as OpenAPI tools may ignore formats).
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

/** Values of every kind, on both sides of every limit the table has. */
const VALUES: unknown[] = [
  -1,
  0,
  1,
  2,
  3,
  1.5,
  255,
  256,
  MAX_RTC_SECONDS,
  MAX_RTC_SECONDS + 1,
  '',
  '3',
  'restart',
  'running',
  'aa:bb:cc:dd:ee:ff',
  'AA:BB:CC:DD:EE:0F',
  'aa:bb:cc:dd:ee',
  'aa-bb-cc-dd-ee-ff',
  '192.168.1.10',
  'x'.repeat(MAX_UART_DATA_LENGTH),
  'x'.repeat(MAX_UART_DATA_LENGTH + 1),
  // Characters outside the BMP: JSON Schema counts each as one, as the check does.
  '😀'.repeat(MAX_UART_DATA_LENGTH),
  '😀'.repeat(MAX_UART_DATA_LENGTH + 1),
  null,
  true,
  [],
  {},
];

/** Payloads for one api: the empty one, every value in every field, a field missing, a field too many. */
function payloads(api: DeviceApi): unknown[] {
  const fields = Object.keys(DEVICE_API_TABLE[api].request);
  const valid = parseValid(api);
  return [
    {},
    valid,
    ...fields.flatMap((field) => VALUES.map((value) => ({ ...valid, [field]: value }))),
    ...fields.map((field) => Object.fromEntries(Object.entries(valid).filter(([f]) => f !== field))),
    { ...valid, extra: 1 },
    [],
    null,
    'text',
  ];
}

/** One request the api accepts, found among VALUES field by field. */
function parseValid(api: DeviceApi): Record<string, unknown> {
  const request = DEVICE_API_TABLE[api].request as Record<string, (v: unknown) => { ok: boolean }>;
  return Object.fromEntries(
    Object.entries(request).map(([field, check]) => [field, VALUES.find((value) => check(value).ok)]),
  );
}

function accepted(api: DeviceApi, payload: unknown): boolean {
  try {
    parseDeviceRequest(api, payload, { exact: true });
    return true;
  } catch (error) {
    if (error instanceof InvalidDeviceRequestError) return false;
    throw error;
  }
}

describe('deviceRequestJsonSchema', () => {
  it.each(DEVICE_APIS)('%s: the schema accepts exactly what parseDeviceRequest (exact) accepts', (api) => {
    const validate = ajv.compile(deviceRequestJsonSchema(api));
    const cases = payloads(api);
    const disagreements = cases.filter((payload) => validate(payload) !== accepted(api, payload));
    expect(disagreements).toEqual([]);
    // The samples reach both answers wherever the api has a field, so agreement is not trivial.
    const answers = new Set(cases.map((payload) => accepted(api, payload)));
    expect(answers).toEqual(new Set([true, false]));
  });

  it('states every field of every api, closed and required', () => {
    for (const api of DEVICE_APIS) {
      const fields = Object.keys(DEVICE_API_TABLE[api].request);
      const schema = deviceRequestJsonSchema(api);
      expect(Object.keys(schema.properties)).toEqual(fields);
      expect(schema.required).toEqual(fields.length > 0 ? fields : undefined);
      expect(schema.additionalProperties).toBe(false);
    }
  });

  it('copies enums, so a caller cannot change the table through a schema', () => {
    const schema = fieldsJsonSchema(DEVICE_API_TABLE.set_status.request);
    schema.properties.status.enum?.push('halt');
    expect(DEVICE_API_TABLE.set_status.request.status.schema.enum).toEqual(['restart']);
  });
});

describe('parseDeviceRequest exact', () => {
  it('refuses a field the api does not have, naming it; without exact the field is dropped', () => {
    let error: unknown;
    try {
      parseDeviceRequest('get_rtc', { value: 1 }, { exact: true });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidDeviceRequestError);
    expect((error as InvalidDeviceRequestError).details).toEqual({
      api: 'get_rtc',
      field: 'value',
      reason: 'is not a field of get_rtc',
    });
    expect(parseDeviceRequest('get_rtc', { value: 1 })).toEqual({});
  });
});
