import { nestsDeeperThan, rejectDeepBodies } from './body-depth';

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe('body depth', () => {
  it('measures nesting without recursion, at any depth', () => {
    expect(nestsDeeperThan(nested(3), 3)).toBe(false);
    expect(nestsDeeperThan(nested(4), 3)).toBe(true);
    expect(nestsDeeperThan(nested(100_000), 32)).toBe(true);
    expect(nestsDeeperThan({ wide: Array.from({ length: 10_000 }, (_, i) => i) }, 2)).toBe(false);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan(undefined, 0)).toBe(false);
  });

  it('answers 400 BODY_TOO_DEEP in the one error shape, or passes the request on', () => {
    const hook = rejectDeepBodies(8);
    const reply = { code: jest.fn().mockReturnThis(), send: jest.fn().mockReturnThis() };
    const next = jest.fn();
    hook({ body: nested(3000) } as never, reply as never, next);
    expect(next).not.toHaveBeenCalled();
    expect(reply.code).toHaveBeenCalledWith(400);
    expect(reply.send).toHaveBeenCalledWith(expect.objectContaining({ statusCode: 400, code: 'BODY_TOO_DEEP' }));
    hook({ body: nested(8) } as never, reply as never, next);
    expect(next).toHaveBeenCalledTimes(1);
  });
});
