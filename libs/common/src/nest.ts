/**
 * @app/common/nest: the Nest and RabbitMQ side of `@app/common`, for the two
 * Nest apps only: the HTTP and RPC exception filters, the validation pipe, the
 * typed config and its validation at start-up, the RMQ transport options and broker
 * connection, log levels, the platform's logger (text or JSON, with request ids),
 * the metrics registry and its small HTTP server, and the shutdown deadline.
 * Loading it loads @nestjs/common, @nestjs/microservices and amqplib.
 */
export * from './errors/http-exception.filter';
export * from './errors/rpc-exception.filter';
export * from './errors/validation';
export * from './config/validate-config';
export * from './config/broker-client.config';
export * from './config/setting-decorators';
export * from './config/log-levels';
export * from './observability/platform-logger';
export * from './observability/metrics';
export * from './observability/observability-server';
export * from './messaging/rmq-options';
export * from './messaging/broker-connection';
export * from './messaging/channel-errors';
export * from './lifecycle/shutdown-deadline';
