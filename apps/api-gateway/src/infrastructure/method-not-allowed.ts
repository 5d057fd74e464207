import type { OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ErrorResponseBody } from '@app/common/nest';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface DocumentedPath {
  pattern: RegExp;
  methods: string[];
}

/** `/devices/{name}/gpio/{number}` → a RegExp matching its concrete paths (as Express does: case-insensitive, optional trailing slash). */
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
 * A documented path called with a method it does not take answers 405 with an
 * `Allow` header and the usual error shape (code `METHOD_NOT_ALLOWED`), instead
 * of the router's 404. Paths outside the document are left to the router.
 */
export function methodNotAllowed(document: OpenAPIObject): RequestHandler {
  const paths = documentedPaths(document);
  return (request: Request, response: Response, next: NextFunction) => {
    const matching = paths.filter((path) => path.pattern.test(request.path));
    if (matching.length === 0) return next();
    const allowed = [...new Set(matching.flatMap((path) => path.methods))];
    // Express answers HEAD with its GET route.
    if (allowed.includes(request.method) || (request.method === 'HEAD' && allowed.includes('GET'))) return next();
    const body: ErrorResponseBody = {
      statusCode: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: `${request.method} is not allowed on ${request.path}; allowed: ${allowed.join(', ')}`,
    };
    response.setHeader('Allow', allowed.join(', '));
    response.status(405).json(body);
  };
}
