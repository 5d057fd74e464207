import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '../auth/auth.module';
import { PresenceStoreModule } from '../presence/presence-store.module';
import { certificateAuthorityProvider } from './certificate-authority.provider';
import { RenewCertificateHandler } from './commands/renew-certificate/renew-certificate.handler';
import { RenewCertificateHttpController } from './commands/renew-certificate/renew-certificate.http.controller';
import { UpdateDeviceHandler } from './commands/update-device/update-device.handler';
import { UpdateDeviceHttpController } from './commands/update-device/update-device.http.controller';
import { RegisterDeviceHandler } from './commands/register-device/register-device.handler';
import { RegisterDeviceHttpController } from './commands/register-device/register-device.http.controller';
import { UnregisterDeviceHandler } from './commands/unregister-device/unregister-device.handler';
import { UnregisterDeviceHttpController } from './commands/unregister-device/unregister-device.http.controller';
import { ConfigService } from '@nestjs/config';
import { GatewayConfig } from '../config/gateway.config';
import { AmqpConnectionManager } from 'amqp-connection-manager';
import { GATEWAY_BROKER_CONNECTION } from '../infrastructure/device-command.client';
import { AmqpDeviceCacheBroadcast } from './database/device-cache.broadcast';
import { CachedDeviceRepository } from './database/device.cached-repository';
import { DeviceMongoRepository } from './database/device.mongo-repository';
import { DEVICE_REPOSITORY } from './database/device.repository.port';
import { DeviceRegistryMigration } from './database/device-registry.migration';
import {
  Device,
  DeviceName,
  DeviceNameSchema,
  DeviceSchema,
  DeviceTag,
  DeviceTagSchema,
} from './database/device.schema';
import { DeviceCertificateIssuer } from './domain/device-certificate-issuer';
import { brokerEndpointsProvider } from './domain/broker-endpoints';
import { GetDeviceHandler } from './queries/get-device/get-device.handler';
import { GetDeviceHttpController } from './queries/get-device/get-device.http.controller';
import { ListDevicesHandler } from './queries/list-devices/list-devices.handler';
import { ListDevicesHttpController } from './queries/list-devices/list-devices.http.controller';

@Module({
  imports: [
    AuthModule,
    PresenceStoreModule,
    MongooseModule.forFeature([
      { name: Device.name, schema: DeviceSchema },
      { name: DeviceName.name, schema: DeviceNameSchema },
      { name: DeviceTag.name, schema: DeviceTagSchema },
    ]),
  ],
  controllers: [
    RegisterDeviceHttpController,
    ListDevicesHttpController,
    GetDeviceHttpController,
    UnregisterDeviceHttpController,
    RenewCertificateHttpController,
    UpdateDeviceHttpController,
  ],
  providers: [
    RegisterDeviceHandler,
    UnregisterDeviceHandler,
    RenewCertificateHandler,
    UpdateDeviceHandler,
    DeviceCertificateIssuer,
    ListDevicesHandler,
    GetDeviceHandler,
    certificateAuthorityProvider,
    brokerEndpointsProvider,
    DeviceMongoRepository,
    DeviceRegistryMigration,
    {
      provide: AmqpDeviceCacheBroadcast,
      inject: [GATEWAY_BROKER_CONNECTION],
      useFactory: (connection: AmqpConnectionManager) => new AmqpDeviceCacheBroadcast(connection),
    },
    {
      provide: DEVICE_REPOSITORY,
      inject: [DeviceMongoRepository, ConfigService, AmqpDeviceCacheBroadcast],
      useFactory: (
        mongo: DeviceMongoRepository,
        config: ConfigService<GatewayConfig, true>,
        broadcast: AmqpDeviceCacheBroadcast,
      ) => new CachedDeviceRepository(mongo, config.get('DEVICE_CACHE_TTL_MS', { infer: true }), broadcast),
    },
  ],
  exports: [DEVICE_REPOSITORY, certificateAuthorityProvider],
})
export class DevicesModule {}
