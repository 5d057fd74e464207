import { PlatformLogger, logFormat } from './platform-logger';
import { requestIdFrom, runInRequest } from './request-context';

function capture(format: 'json' | 'text') {
  const lines: { stream: string; line: string }[] = [];
  const logger = new PlatformLogger(format, ['error', 'warn', 'log'], (stream, line) => lines.push({ stream, line }));
  return { logger, lines };
}

describe('PlatformLogger', () => {
  it('LOG_FORMAT=json writes one JSON object per line: time, level, context, message, request id, fields', () => {
    const { logger, lines } = capture('json');
    runInRequest({ requestId: 'req-1' }, () => {
      logger.log({ message: 'request', method: 'GET', status: 200 }, 'Access');
      logger.warn('two\nlines stay one', 'Dispatcher');
    });
    logger.error('outside any request', 'stack trace here', 'Boot');
    expect(lines).toHaveLength(3);
    for (const { line } of lines) expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    const [access, warn, error] = lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>);
    expect(access).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'log',
      context: 'Access',
      requestId: 'req-1',
      message: 'request',
      method: 'GET',
      status: 200,
    });
    expect(warn).toMatchObject({ level: 'warn', message: 'two\nlines stay one', requestId: 'req-1' });
    expect(error).toMatchObject({
      level: 'error',
      context: 'Boot',
      message: 'outside any request',
      stack: 'stack trace here',
    });
    expect(error.requestId).toBeUndefined();
    expect(lines[2].stream).toBe('stderr');
  });

  it('text (the default) stays readable and names the request', () => {
    const { logger, lines } = capture('text');
    runInRequest({ requestId: 'req-2' }, () => logger.log({ message: 'request', status: 404 }, 'Access'));
    expect(lines[0].line).toMatch(/LOG.*\[Access\].*request status=404 \(request req-2\)/);
  });

  it('honours the level, as LOG_LEVEL does', () => {
    const { logger, lines } = capture('json');
    logger.debug('not at this level');
    expect(lines).toEqual([]);
  });

  it('accepts text or json only', () => {
    expect(logFormat(undefined)).toBe('text');
    expect(logFormat('JSON')).toBe('json');
    expect(() => logFormat('xml')).toThrow(/LOG_FORMAT must be text or json/);
  });
});

describe('requestIdFrom', () => {
  it('keeps a sane caller id and replaces anything else with a fresh one', () => {
    expect(requestIdFrom('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    for (const bad of ['', 'has space', 'a'.repeat(129), 'quote"d', 'new\nline', undefined, 42]) {
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
  });
});
