/**
 * Contract test of the gateway's hand-written RPC client against the real Nest
 * RabbitMQ server (device-command itself, on the real broker over AMQPS). The
 * client speaks the packet format of @nestjs/microservices' RMQ transport
 * (`{pattern, data, id}` out; `{id, response, isDisposed}` or `{id, err}` back on
 * direct reply-to); if a Nest upgrade changes that format, a case here fails.
 */
import { INestApplication } from '@nestjs/common';
import {
  DeviceCommandMessagePattern,
  DeviceCommandPattern,
  RemoteDomainError,
  shardOf,
} from '@app/common/device-command';
import { connectBroker } from '@app/common/nest';
import { DeviceApi, generateDeviceId } from '@app/device-protocol';
import { loadServiceTls } from '@app/pki';
import { DeviceCommandClient } from '../apps/api-gateway/src/infrastructure/device-command.client';
import { CERTS_DIR, startDeviceCommand } from './support/apps';

const SHARDS = Number(process.env.DEVICE_COMMAND_SHARDS ?? 8);

/** A device id whose requests go to `shard`. */
function keyForShard(shard: number): string {
  for (let i = 0; ; i++) {
    const key = i.toString(16).padStart(32, '0');
    if (shardOf(key, SHARDS) === shard) return key;
  }
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

describe('gateway RPC client ⇄ Nest RMQ server (e2e contract, real broker)', () => {
  let deviceCommand: INestApplication;
  let client: DeviceCommandClient;

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    client = new DeviceCommandClient(
      connectBroker(
        {
          host: process.env.AMQP_HOST ?? 'localhost',
          port: Number(process.env.AMQP_PORT ?? 5671),
          ...loadServiceTls(CERTS_DIR, 'api-gateway'),
        },
        'e2e rpc contract',
      ),
      SHARDS,
    );
    await client.connected(5000);
  });

  afterAll(async () => {
    await client.onModuleDestroy();
    await deviceCommand.close();
  });

  it('a result comes back whole, on every shard', async () => {
    for (let shard = 0; shard < SHARDS; shard++) {
      const pong = await client.request(
        DeviceCommandPattern.ping,
        { sentAt: shard },
        { timeoutMs: 5000, shardKey: keyForShard(shard) },
      );
      expect(Object.keys(pong).sort()).toEqual(['instanceId', 'sentAt', 'service', 'uptimeSeconds']);
      expect(pong).toMatchObject({ service: 'device-command', sentAt: shard });
      expect(pong.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('a domain error the server raises arrives with its code, kind, message and details', async () => {
    const error = await failureOf(
      client.request(
        DeviceCommandPattern.invoke,
        { deviceId: generateDeviceId(), api: 'reboot' as DeviceApi, params: {}, timeoutMs: 1000 },
        { timeoutMs: 5000 },
      ),
    );
    expect(error).toBeInstanceOf(RemoteDomainError);
    expect(error).toMatchObject({
      code: 'INVALID_DEVICE_REQUEST',
      kind: 'invalid',
      message: 'unknown api "reboot"',
      details: { api: 'reboot', reason: 'unknown api' },
    });
  });

  it('a device nobody serves is DEVICE_OFFLINE, kind unavailable, naming the device', async () => {
    const deviceId = generateDeviceId();
    const error = await failureOf(
      client.request(
        DeviceCommandPattern.invoke,
        { deviceId, api: 'get_status', params: {}, timeoutMs: 3000 },
        { timeoutMs: 5000, shardKey: deviceId },
      ),
    );
    expect(error).toBeInstanceOf(RemoteDomainError);
    expect(error).toMatchObject({ code: 'DEVICE_OFFLINE', kind: 'unavailable', details: { deviceId } });
  });

  it("the server's own error packet (a pattern it does not know) becomes DEVICE_COMMAND_UNAVAILABLE", async () => {
    const error = await failureOf(
      client.request(
        'device-command.no-such-pattern' as DeviceCommandMessagePattern,
        { sentAt: 0 },
        { timeoutMs: 5000 },
      ),
    );
    expect(error).not.toBeInstanceOf(RemoteDomainError);
    expect(error).toMatchObject({ code: 'DEVICE_COMMAND_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/no matching message handler/i);
  });
});
