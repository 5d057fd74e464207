import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DeviceControlModule } from '../device-control/device-control.module';
import { DevicesModule } from '../devices/devices.module';
import { ConnectionCloseMiddleware } from './connection-close.middleware';
import { LegacyDeviceHttpController } from './legacy-device.http.controller';
import { LegacyRegistryHttpController } from './legacy-registry.http.controller';

/** libpyiotcloud's REST routes, translated onto the platform's own commands and queries. */
@Module({
  imports: [AuthModule, DevicesModule, DeviceControlModule],
  controllers: [LegacyRegistryHttpController, LegacyDeviceHttpController],
})
export class LegacyModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ConnectionCloseMiddleware).forRoutes(LegacyRegistryHttpController, LegacyDeviceHttpController);
  }
}
