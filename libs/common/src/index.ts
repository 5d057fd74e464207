/**
 * @app/common: what every app shares and no single feature owns: the domain
 * error base class and its mapping to HTTP, typed config validation, and the
 * message contract between api-gateway and device-command.
 */
export * from './errors/domain-error';
export * from './errors/http-status';
export * from './errors/http-exception.filter';
export * from './errors/validation';
export * from './config/validate-config';
export * from './config/broker-client.config';
export * from './config/log-levels';
export * from './errors/rpc-exception.filter';
export * from './messaging/device-command.contract';
export * from './messaging/device-command.errors';
export * from './messaging/rmq-options';
export * from './messaging/broker-connection';
export * from './lifecycle/shutdown-deadline';
export * from './concurrency/semaphore';
export * from './events/platform-events';
