import type { OpenAPIObject } from '@nestjs/swagger';
import { documentedPaths, methodNotAllowed } from './method-not-allowed';

const document = {
  openapi: '3.0.0',
  info: { title: 't', version: '1' },
  paths: {
    '/devices': { get: {}, post: {} },
    '/devices/{name}': { get: {}, delete: {} },
    '/devices/{name}/gpio/{number}': { get: {}, put: {} },
    '/a.b': { post: {} },
  },
} as unknown as OpenAPIObject;

/** A request the router found no route for (is404), unless `routed`. */
function call(method: string, url: string, routed = false) {
  const response = {
    headers: {} as Record<string, string>,
    statusCode: 0,
    body: undefined as unknown,
    header(name: string, value: string) {
      response.headers[name] = value;
      return response;
    },
    code(code: number) {
      response.statusCode = code;
      return response;
    },
    send(body: unknown) {
      response.body = body;
      return response;
    },
  };
  const next = jest.fn();
  methodNotAllowed(document)({ method, url, is404: !routed } as never, response as never, next);
  return { response, next };
}

describe('methodNotAllowed', () => {
  it('reads the methods of every documented path', () => {
    expect(documentedPaths(document).map((p) => p.methods)).toEqual([
      ['GET', 'POST'],
      ['GET', 'DELETE'],
      ['GET', 'PUT'],
      ['POST'],
    ]);
  });

  it.each([
    ['DELETE', '/devices', 'GET, POST'],
    ['POST', '/devices/lamp', 'GET, DELETE'],
    ['PATCH', '/devices/lamp/gpio/3', 'GET, PUT'],
    ['PUT', '/DEVICES/', 'GET, POST'],
    ['GET', '/a.b', 'POST'],
  ])('%s %s: 405 METHOD_NOT_ALLOWED, Allow: %s', (method, path, allow) => {
    const { response, next } = call(method, path);
    expect(next).not.toHaveBeenCalled();
    expect(response.statusCode).toBe(405);
    expect(response.headers.Allow).toBe(allow);
    expect(response.body).toEqual({
      statusCode: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: `${method} is not allowed on ${path}; allowed: ${allow}`,
    });
  });

  it.each([
    ['GET', '/devices'],
    ['DELETE', '/devices/lamp'],
    ['HEAD', '/devices/lamp'],
    ['PUT', '/devices/lamp/gpio/3'],
    ['GET', '/devices/lamp/gpio/3/extra'],
    ['GET', '/axb'],
    ['GET', '/elsewhere'],
  ])('%s %s goes on to the router', (method, path) => {
    const { response, next } = call(method, path);
    expect(next).toHaveBeenCalledTimes(1);
    expect(response.statusCode).toBe(0);
  });

  it('looks only at requests the router matched no route for, and at the path without its query', () => {
    expect(call('DELETE', '/devices', true).next).toHaveBeenCalledTimes(1);
    const { response } = call('DELETE', '/devices?limit=3');
    expect(response.statusCode).toBe(405);
    expect(response.body).toMatchObject({ message: 'DELETE is not allowed on /devices; allowed: GET, POST' });
  });
});
