import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * libpyiotcloud's server closed the connection after every response, and its
 * client (one `http.client` connection for a whole session) depends on that: it
 * never reads the body of a non-200 answer, so its next call on a kept-alive
 * connection fails with `ResponseNotReady`, and a connection the server closed
 * while idle fails with an SSL EOF. With `Connection: close` Node ends the
 * socket after the response, and `http.client` opens a fresh connection for the
 * next call. The modern API keeps keep-alive.
 */
@Injectable()
export class ConnectionCloseMiddleware implements NestMiddleware {
  use(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
    response.setHeader('Connection', 'close');
    next();
  }
}
