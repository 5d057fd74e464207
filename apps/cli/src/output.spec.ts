import { ApiError, GatewayUnreachableError, NotLoggedInError, UsageError } from './errors';
import { formatDevice, formatDeviceList, formatEpoch, formatTable, renderError, renderResult } from './output';

const device = {
  deviceId: '0123456789abcdef0123456789abcdef',
  name: 'lamp',
  keyOrigin: 'rsa',
  certificate: '-----BEGIN CERTIFICATE-----\n...',
  certificateSerial: '0a1b',
  certificateFingerprint: 'ff'.repeat(32),
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:05:00.000Z',
  mqtt: { host: 'localhost', port: 8883 },
  amqp: { host: 'localhost', port: 5671 },
};

describe('renderResult', () => {
  const result = { json: { status: 'running' }, human: 'lamp: running' };

  it('--json prints exactly the body, as JSON', () => {
    const { stdout } = renderResult(result, true);
    expect(JSON.parse(stdout ?? '')).toEqual({ status: 'running' });
    expect(stdout).not.toContain('lamp:');
  });

  it('prints the human text otherwise, with one trailing newline', () => {
    expect(renderResult(result, false)).toEqual({ stdout: 'lamp: running\n' });
  });

  it('--json prints nothing for an empty body (204)', () => {
    expect(renderResult({ json: undefined, human: 'Unregistered' }, true)).toEqual({ stdout: '' });
  });
});

describe('renderError', () => {
  const notFound = new ApiError(404, 'DEVICE_NOT_FOUND', 'No device named "x"');

  it('--json prints {statusCode, code, message} on stdout and nothing on stderr', () => {
    const rendered = renderError(notFound, true);
    expect(rendered.stderr).toBeUndefined();
    expect(JSON.parse(rendered.stdout ?? '')).toEqual({
      statusCode: 404,
      code: 'DEVICE_NOT_FOUND',
      message: 'No device named "x"',
    });
  });

  it('human: one error line with code and status on stderr, then a hint', () => {
    const rendered = renderError(notFound, false);
    expect(rendered.stdout).toBeUndefined();
    const lines = (rendered.stderr ?? '').trimEnd().split('\n');
    expect(lines[0]).toBe('error: No device named "x" (DEVICE_NOT_FOUND, HTTP 404)');
    expect(lines[1]).toContain('iotcloud devices list');
  });

  it('tells to log in again after a 401', () => {
    expect(renderError(new ApiError(401, 'UNAUTHORIZED', 'Invalid or expired access token'), false).stderr).toContain(
      'run iotcloud login',
    );
  });

  it('shows the usage line and --help under a usage error', () => {
    const stderr =
      renderError(new UsageError('GPIO value must be 0 or 1', 'usage: iotcloud gpio set NAME PIN 0|1'), false).stderr ??
      '';
    expect(stderr).toBe(
      'error: GPIO value must be 0 or 1\nusage: iotcloud gpio set NAME PIN 0|1\nRun iotcloud --help for every command and option.\n',
    );
  });

  it('never prints a stack trace', () => {
    for (const error of [
      new GatewayUnreachableError(
        'https://x',
        'GATEWAY_UNREACHABLE',
        'ECONNREFUSED',
        'Cannot reach the gateway at https://x',
      ),
      new NotLoggedInError('Not logged in: run iotcloud login USER'),
      new TypeError('something broke'),
    ]) {
      const stderr = renderError(error, false).stderr ?? '';
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stderr.startsWith(`error: ${error.message}`)).toBe(true);
    }
  });

  it('gives a device hint for device errors', () => {
    expect(renderError(new ApiError(503, 'DEVICE_OFFLINE', 'Device "lamp" is offline'), false).stderr).toMatch(
      /running and connected/,
    );
    expect(renderError(new ApiError(504, 'DEVICE_TIMEOUT', 'No answer'), false).stderr).toMatch(/--timeout/);
  });
});

describe('human formats', () => {
  it('formatTable aligns columns', () => {
    expect(
      formatTable(
        ['A', 'BB'],
        [
          ['xxx', 'y'],
          ['z', 'w'],
        ],
      ),
    ).toBe('A    BB\nxxx  y\nz    w');
  });

  it('lists devices as a table', () => {
    const text = formatDeviceList([device, { ...device, name: 'fan', keyOrigin: 'csr' }]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^NAME\s+DEVICE ID\s+KEY\s+CREATED\s+CERT VALID UNTIL$/);
    expect(lines[1]).toMatch(/^lamp\s+0123456789abcdef0123456789abcdef\s+rsa\s+2026-01-01 00:05\s+2027-01-01 00:00$/);
    expect(lines[2]).toMatch(/^fan\s.*\scsr\s/);
  });

  it('says how to register when there are no devices', () => {
    expect(formatDeviceList([])).toMatch(/iotcloud devices register NAME/);
  });

  it('shows one device without its certificate PEM', () => {
    const text = formatDevice(device);
    expect(text).toContain('MQTT (TLS):');
    expect(text).toContain('localhost:8883');
    expect(text).toContain('ff'.repeat(32));
    expect(text).not.toContain('BEGIN CERTIFICATE');
  });

  it('shows epoch seconds with their ISO time', () => {
    expect(formatEpoch('1700000000')).toBe('1700000000 (2023-11-14T22:13:20.000Z)');
    expect(formatEpoch('-')).toBe('-');
  });
});
