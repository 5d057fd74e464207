/**
 * @app/common/device-command: the contract between api-gateway and
 * device-command over RabbitMQ, imported by both sides: shard queues, the
 * message patterns with their request and result types, and the errors that
 * cross the boundary. Free of Nest and of broker clients.
 */
export * from './messaging/device-command.contract';
export * from './messaging/device-command.errors';
