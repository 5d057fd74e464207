import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { DomainError } from '@app/common';
import { HttpErrorFilter } from '@app/common/nest';

/** No route takes a body nested deeper than this; the device APIs nest two levels. */
export const MAX_BODY_DEPTH = 32;

export class BodyTooDeepError extends DomainError {
  readonly code = 'BODY_TOO_DEEP';
  readonly kind = 'invalid' as const;
  constructor(maxDepth: number) {
    super(`The request body nests objects or arrays more than ${maxDepth} levels deep`, { maxDepth });
  }
}

/** True when `value` nests objects/arrays deeper than `maxDepth`. Iterative: any depth is safe to measure. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * A Fastify hook for after the body is parsed (preValidation): a deeply nested body is
 * refused with 400 BODY_TOO_DEEP before validation, whose recursive walk
 * (class-transformer) would otherwise overflow the stack and answer 500.
 */
export function rejectDeepBodies(maxDepth = MAX_BODY_DEPTH, filter = new HttpErrorFilter()) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (!nestsDeeperThan(request.body, maxDepth)) return done();
    const body = filter.toBody(new BodyTooDeepError(maxDepth));
    void reply.code(body.statusCode).send(body);
  };
}
