/**
 * @app/common/nest: the Nest and RabbitMQ side of `@app/common`, for the two
 * Nest apps only: the HTTP and RPC exception filters, the validation pipe, the
 * RMQ transport options and broker connection, log levels and the shutdown deadline.
 * Loading it loads @nestjs/common, @nestjs/microservices and amqplib.
 */
export * from './errors/http-exception.filter';
export * from './errors/rpc-exception.filter';
export * from './errors/validation';
export * from './config/log-levels';
export * from './messaging/rmq-options';
export * from './messaging/broker-connection';
export * from './lifecycle/shutdown-deadline';
