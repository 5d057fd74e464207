/**
 * @app/common: what every app shares and no single feature owns, free of Nest
 * and of any broker client, so that the protocol library and the CLI can load it
 * cheaply: the domain error base class and its mapping to HTTP status, typed
 * config validation, the message contract between api-gateway and
 * device-command, and small concurrency helpers.
 * The Nest and RabbitMQ adapters built on these live in `@app/common/nest`.
 */
export * from './errors/domain-error';
export * from './errors/http-status';
export * from './config/validate-config';
export * from './config/broker-client.config';
export * from './messaging/device-command.contract';
export * from './messaging/device-command.errors';
export * from './concurrency/semaphore';
