/**
 * The contract between api-gateway and device-command over RabbitMQ: the queue
 * device-command consumes, the message patterns it answers, and the types of
 * every payload and result. Both sides import these; nothing else crosses.
 */
export const DEVICE_COMMAND_QUEUE = 'device-command';

export const DeviceCommandPattern = {
  ping: 'device-command.ping',
} as const;

export interface PingRequest {
  sentAt: number; // epoch ms, echoed back so the caller can measure the round trip
}

export interface PingResult {
  service: 'device-command';
  sentAt: number;
  instanceId: string;
  uptimeSeconds: number;
}
