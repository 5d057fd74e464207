import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GatewayConfig } from '../config/gateway.config';
import { DevicesModule } from '../devices/devices.module';
import { BrokerAuthHttpServer } from './broker-auth.http-server';
import { BrokerConnections } from './broker-connections';
import { DisconnectRevokedDeviceHandler, REVOCATION_SWEEP_DELAYS } from './events/disconnect-revoked-device.handler';
import { AuthorizeBrokerAccessHandler } from './queries/authorize-broker-access/authorize-broker-access.handler';

/** The platform's side of broker security: answering RabbitMQ about devices, and cutting revoked ones off. */
@Module({
  imports: [DevicesModule],
  providers: [
    AuthorizeBrokerAccessHandler,
    BrokerAuthHttpServer,
    DisconnectRevokedDeviceHandler,
    {
      provide: BrokerConnections,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) =>
        new BrokerConnections({
          url: config.get('BROKER_MANAGEMENT_URL', { infer: true }),
          username: config.get('BROKER_ADMIN_USER', { infer: true }),
          password: config.get('BROKER_ADMIN_PASSWORD', { infer: true }),
          caPem: readFileSync(path.resolve(config.get('CERTS_DIR', { infer: true }), 'rootca.pem'), 'utf8'),
        }),
    },
    {
      provide: REVOCATION_SWEEP_DELAYS,
      inject: [ConfigService],
      // Every second for 4 s (the management API lists a new connection up to a statistics
      // interval, 1 s, late), then once the broker's cached "allow" has surely expired, and once
      // more after another gateway replica's device cache has too.
      useFactory: (config: ConfigService<GatewayConfig, true>) => {
        const brokerCache = config.get('BROKER_AUTH_CACHE_TTL_MS', { infer: true });
        const deviceCache = config.get('DEVICE_CACHE_TTL_MS', { infer: true });
        return [...new Set([0, 1000, 2000, 3000, 4000, brokerCache + 1000, brokerCache + deviceCache + 1000])];
      },
    },
  ],
  exports: [BrokerConnections],
})
export class BrokerAuthModule {}
