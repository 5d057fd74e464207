import { parseCommandLine } from '../args';
import { UsageError } from '../errors';
import { FakeTransport, fakeContext } from '../../test/fake-context';
import { history } from './history';

describe('history', () => {
  it('asks for the filters and the page, and prints a table with the next cursor', async () => {
    const item = {
      commandId: 'a'.repeat(24),
      requestedAt: '2026-12-07T17:00:00.000Z',
      api: 'set_gpio',
      outcome: 'OK',
      totalMs: 4.2,
      deviceMs: 3.1,
    };
    const http = new FakeTransport(() => ({ status: 200, body: { items: [item], nextBefore: item.commandId } }));
    const ctx = fakeContext(http);
    const { command } = parseCommandLine(['history', 'lamp', '--limit', '1', '--api', 'set_gpio']);
    if (command.kind !== 'history') throw new Error('parsed as something else');
    const result = await history(ctx, command);
    expect(http.sent[0].path).toBe('/devices/lamp/commands');
    expect(http.sent[0].options.query).toEqual({ limit: 1, before: undefined, api: 'set_gpio', outcome: undefined });
    expect(result.human).toContain('set_gpio');
    expect(result.human).toContain(`--before ${item.commandId}`);
    expect(result.json).toEqual({ items: [item], nextBefore: item.commandId });
  });

  it('refuses a malformed cursor, outcome or limit', () => {
    expect(() => parseCommandLine(['history', 'lamp', '--before', 'xyz'])).toThrow(UsageError);
    expect(() => parseCommandLine(['history', 'lamp', '--outcome', 'ok!'])).toThrow(UsageError);
    expect(() => parseCommandLine(['history', 'lamp', '--limit', '0'])).toThrow(UsageError);
    expect(() => parseCommandLine(['watch', 'extra'])).toThrow(UsageError);
    expect(() => parseCommandLine(['status', 'lamp', '--limit', '3'])).toThrow(UsageError);
  });
});
