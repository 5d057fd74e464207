import { ApiError, GatewayUnreachableError } from '../errors';
import { HttpResponse, JsonTransport, StreamOptions, parseEventStream } from '../http-client';
import { fakeContext } from '../../test/fake-context';
import { formatEvent, watch } from './watch';

const connected = {
  id: '0000000000010000000000001',
  type: 'device.connected',
  at: '2026-12-07T17:00:00.000Z',
  deviceName: 'lamp',
  data: { transport: 'mqtt', protocolLevel: 4 },
};
const completed = {
  id: '0000000000020000000000002',
  type: 'command.completed',
  at: '2026-12-07T17:00:01.000Z',
  deviceName: 'lamp',
  data: { commandId: 'abc', api: 'get_status', outcome: 'OK', latencyMs: 4.25 },
};

/** A transport whose n-th stream call runs the n-th script. */
class ScriptedStreams implements JsonTransport {
  calls: StreamOptions[] = [];
  constructor(private readonly scripts: ((options: StreamOptions) => Promise<void>)[]) {}
  request(): Promise<HttpResponse> {
    throw new Error('not used');
  }
  stream(_path: string, options: StreamOptions): Promise<void> {
    this.calls.push({ ...options });
    return this.scripts[this.calls.length - 1](options);
  }
}

const sse = (event: { id: string; type: string }) =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

describe('parseEventStream', () => {
  it('splits messages, skips comments, keeps the unfinished rest', () => {
    const seen: string[] = [];
    const rest = parseEventStream(`: open\n\n${sse(connected)}id: 3\ndata: {"a`, (m) =>
      seen.push(`${m.id}:${m.event}`),
    );
    expect(seen).toEqual([`${connected.id}:device.connected`]);
    expect(rest).toBe('id: 3\ndata: {"a');
  });
});

describe('watch', () => {
  it('prints each event, and resumes with Last-Event-ID after the stream drops', async () => {
    const http = new ScriptedStreams([
      async ({ onMessage }) => {
        parseEventStream(sse(connected), onMessage);
        throw new GatewayUnreachableError('https://gw.test:8443', 'GATEWAY_UNREACHABLE', 'ECONNRESET', 'reset');
      },
      async ({ onMessage }) => void parseEventStream(sse(completed), onMessage),
    ]);
    const ctx = fakeContext(http, { json: true });
    await watch(ctx, { kind: 'watch', maxConnections: 2 });
    expect(ctx.lines.map((l) => JSON.parse(l) as unknown)).toEqual([connected, completed]);
    expect(http.calls.map((c) => [c.token, c.lastEventId])).toEqual([
      ['tok', undefined],
      ['tok', connected.id],
    ]);
  });

  it('stops on an answer such as 401', async () => {
    const http = new ScriptedStreams([
      () => Promise.reject(new ApiError(401, 'UNAUTHORIZED', 'Invalid or expired access token')),
    ]);
    await expect(watch(fakeContext(http), { kind: 'watch' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('formats events for people', () => {
    expect(formatEvent(connected)).toBe('2026-12-07T17:00:00.000Z  lamp  device.connected  mqtt (MQTT 3.1.1)');
    expect(formatEvent(completed)).toBe(
      '2026-12-07T17:00:01.000Z  lamp  command.completed  get_status OK 4.3 ms  id abc',
    );
  });
});
