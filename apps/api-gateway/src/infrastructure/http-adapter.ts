import { FastifyAdapter } from '@nestjs/platform-fastify';
import { compile } from '@fastify/proxy-addr';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';

export type TrustProxySetting = boolean | number | string;
type TrustFunction = (address: string, hop: number) => boolean;

/** The trust function Express builds from its `trust proxy` setting, for the same values (TRUST_PROXY). */
export function compileTrustProxy(setting: TrustProxySetting): TrustFunction {
  if (setting === true) return () => true;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  if (setting === false) return compile([]);
  return compile(setting.split(',').map((part) => part.trim()));
}

/** The router as Express had it: paths match case-insensitively, with or without a trailing slash. */
const ROUTER_OPTIONS = {
  caseSensitive: false,
  ignoreTrailingSlash: true,
  // Express has no limit on a path parameter; a long device name must reach validation (400), not 404.
  maxParamLength: 8192,
} satisfies FastifyServerOptions['routerOptions'];

/** A path that is no valid URL component answers in the platform's error shape (the error handler's), as with Express. */
function toErrorHandler(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.send(error);
}

/**
 * The gateway's Fastify adapter. Fastify fixes the proxy trust when it is created,
 * but TRUST_PROXY comes from the validated config, which exists only once the app
 * does: the adapter asks a trust function that `configureApp` sets (until then it
 * trusts no proxy).
 */
export class GatewayHttpAdapter extends FastifyAdapter {
  private readonly trust: { fn: TrustFunction };

  constructor(https?: { key: Buffer; cert: Buffer }) {
    const trust = { fn: compileTrustProxy(false) };
    super({
      ...(https ? { https } : {}),
      trustProxy: (address: string, hop: number) => trust.fn(address, hop),
      routerOptions: ROUTER_OPTIONS,
      frameworkErrors: toErrorHandler,
    } as FastifyServerOptions);
    this.trust = trust;
  }

  /** The gateway's body parsers are its own (body-parsers.ts, from configureApp), not Nest's defaults. */
  override registerParserMiddleware(): void {}

  trustProxy(setting: TrustProxySetting): void {
    this.trust.fn = compileTrustProxy(setting);
  }
}
