import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import { DatabaseUnavailableError, MapsDatabaseErrors, isDatabaseUnavailableError } from './mongo-errors';

describe('database error mapping', () => {
  it('recognises the driver errors that mean "no database now", and nothing else', () => {
    expect(isDatabaseUnavailableError(new MongoNetworkError('connection reset'))).toBe(true);
    const selection = new MongoServerSelectionError('timed out', {
      type: 'Single',
      servers: new Map(),
      stale: false,
      compatible: true,
      heartbeatFrequencyMS: 1000,
      localThresholdMS: 15,
    } as never);
    expect(isDatabaseUnavailableError(selection)).toBe(true);
    const ended = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    expect(isDatabaseUnavailableError(ended)).toBe(true);
    expect(isDatabaseUnavailableError(Object.assign(new Error('dup'), { code: 11000 }))).toBe(false);
    expect(isDatabaseUnavailableError(new RangeError('x'))).toBe(false);
    expect(isDatabaseUnavailableError(null)).toBe(false);
  });

  it('maps an adapter method rejection to DATABASE_UNAVAILABLE (a 503) and leaves other errors alone', async () => {
    @MapsDatabaseErrors()
    class Adapter {
      constructor(private readonly fail: Error) {}
      async find(): Promise<string> {
        throw this.fail;
      }
      syncThrow(): string {
        throw this.fail;
      }
    }
    const down = new Adapter(new MongoNetworkError('ECONNREFUSED'));
    await expect(down.find()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(down.find()).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE', kind: 'unavailable' });
    expect(() => down.syncThrow()).toThrow(DatabaseUnavailableError);
    const other = new Error('a bug');
    await expect(new Adapter(other).find()).rejects.toBe(other);
  });
});
