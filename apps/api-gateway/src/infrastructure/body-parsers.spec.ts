import { PayloadTooLargeException } from '@nestjs/common';
import { Readable } from 'node:stream';
import { MalformedJsonError, bodyLimitBytes, parseJsonBody, readBody } from './body-parsers';

describe('body parsers', () => {
  it('reads BODY_LIMIT as body-parser did (1 kb = 1024 bytes)', () => {
    expect(bodyLimitBytes('64kb')).toBe(65_536);
    expect(bodyLimitBytes('2MB')).toBe(2_097_152);
    expect(bodyLimitBytes('100b')).toBe(100);
    expect(() => bodyLimitBytes('lots')).toThrow(/BODY_LIMIT/);
  });

  it('takes JSON objects and arrays, and an empty body as {}', () => {
    expect(parseJsonBody('{"a":[1,{"b":2}]}')).toEqual({ a: [1, { b: 2 }] });
    expect(parseJsonBody(' \n[1]')).toEqual([1]);
    expect(parseJsonBody('')).toEqual({});
  });

  it.each(['{"username": ', '"text"', '42', 'null', '{"a":1}}'])('refuses %s as MALFORMED_JSON', (text) => {
    expect(() => parseJsonBody(text)).toThrow(MalformedJsonError);
    try {
      parseJsonBody(text);
    } catch (error) {
      expect(error).toMatchObject({ code: 'MALFORMED_JSON', kind: 'invalid' });
    }
  });

  it('reads a body up to the limit, and reads a longer one to its end before refusing it with 413', async () => {
    await expect(readBody(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4)).resolves.toEqual(
      Buffer.from('abcd'),
    );
    const long = Readable.from([Buffer.alloc(3), Buffer.alloc(3), Buffer.alloc(3)]);
    await expect(readBody(long, 4)).rejects.toBeInstanceOf(PayloadTooLargeException);
    expect(long.readableEnded).toBe(true); // drained: the client's last bytes were read before the answer
  });
});
