import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ErrorResponseBody } from '@app/common/nest';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface DocumentedPath {
  pattern: RegExp;
  methods: string[];
}

/** `/devices/{name}/gpio/{number}` → a RegExp matching its concrete paths (as the router does: case-insensitive, optional trailing slash). */
function pathPattern(template: string): RegExp {
  const segments = template
    .split('/')
    .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}/?$`, 'i');
}

/** The methods each documented path takes, from the OpenAPI document (the one place that lists them). */
export function documentedPaths(document: OpenAPIObject): DocumentedPath[] {
  return Object.entries(document.paths).map(([template, item]) => ({
    pattern: pathPattern(template),
    methods: METHODS.filter((method) => item[method] !== undefined).map((method) => method.toUpperCase()),
  }));
}

/**
 * A Fastify onRequest hook: a documented path called with a method it does not
 * take answers 405 with an `Allow` header and the usual error shape (code
 * `METHOD_NOT_ALLOWED`), instead of the router's 404. Only requests the router
 * matched no route for are looked at; paths outside the document are left to it.
 */
export function methodNotAllowed(document: OpenAPIObject) {
  const paths = documentedPaths(document);
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (!request.is404) return done();
    const path = request.url.split('?', 1)[0];
    const matching = paths.filter((documented) => documented.pattern.test(path));
    if (matching.length === 0) return done();
    const allowed = [...new Set(matching.flatMap((documented) => documented.methods))];
    // The router answers HEAD with its GET route.
    if (allowed.includes(request.method) || (request.method === 'HEAD' && allowed.includes('GET'))) return done();
    const body: ErrorResponseBody = {
      statusCode: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
    };
    void reply.code(405).header('Allow', allowed.join(', ')).send(body);
  };
}
