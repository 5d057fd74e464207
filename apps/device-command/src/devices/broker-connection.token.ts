/** device-command's broker connection for the device link (an AmqpConnectionManager). */
export const BROKER_CONNECTION = Symbol('BROKER_CONNECTION');
