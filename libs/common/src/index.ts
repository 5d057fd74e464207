/**
 * @app/common: what every app shares and no single feature owns, with no
 * dependency at all, so that the protocol library, the CLI and the simulator
 * load it cheaply: the domain error base class and its mapping to HTTP status,
 * a semaphore, and the API limits clients check too (device names, job size). Two more entry points:
 * - `@app/common/device-command`: the message contract between api-gateway and device-command;
 * - `@app/common/nest`: what only the Nest apps use (filters, validation pipe,
 *   typed config, RMQ transport and broker connection, log levels, shutdown).
 */
export * from './errors/domain-error';
export * from './errors/http-status';
export * from './concurrency/semaphore';
export * from './events/platform-events';
export * from './observability/request-context';
export * from './platform-limits';
