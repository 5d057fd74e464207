/**
 * The device simulator as a library, for e2e tests that run simulated FT900
 * boards in-process:
 *
 *   const dev = new MqttDevice({ deviceId, certificatePem, privateKeyPem, caPem, host: 'localhost', port: 8883 });
 *   await dev.start();
 *   dev.device.setGpio(3, 1);            // board state, readable and settable
 *   dev.device.setFaults({ silentApis: ['get_rtc'] });
 *   await dev.stop();
 */
export {
  SimulatedDevice,
  BAD_REPLY_PAYLOAD,
  NON_JSON_REPLY,
  FALLBACK_NETWORK,
  defaultNetwork,
  macFromDeviceId,
} from './simulated-device';
export type {
  SimulatedDeviceOptions,
  FaultOptions,
  DeviceFaults,
  DeviceNetwork,
  DeviceResponse,
  NoReplyReason,
} from './simulated-device';
export { ConnectedDevice } from './connected-device';
export type {
  ConnectionOptions,
  DeviceOptions,
  DeviceEventMap,
  RequestEvent,
  ReplyEvent,
  DropEvent,
  DisconnectEvent,
  ReplyContext,
} from './connected-device';
export { MqttDevice } from './mqtt-device';
export type { MqttDeviceOptions, MqttVersion } from './mqtt-device';
export { AmqpDevice } from './amqp-device';
export type { AmqpDeviceOptions, AmqpConnect } from './amqp-device';
export { DeviceConnectError } from './connect-errors';
export type { ConnectFailureReason } from './connect-errors';
export {
  loadDeviceFile,
  parseDeviceFileText,
  resolveDeviceConfig,
  DeviceFileError,
  DEFAULT_ENDPOINTS,
} from './device-file';
export type { DeviceConfig, DeviceOverrides, ResolvedOverrides, BrokerEndpoint } from './device-file';
export { startFleet, createDevice, forEachBounded, FleetError, DEFAULT_FLEET_CONCURRENCY } from './fleet';
export type { Fleet, FleetOptions, FleetFailure, SharedDeviceOptions, Transport } from './fleet';
export { consoleLogger, silentLogger, warningsOnlyLogger } from './logger';
export type { SimulatorLogger } from './logger';
export { parseCliArgs, runCli, UsageError } from './cli';
export type { CliCommand, CliIo } from './cli';
