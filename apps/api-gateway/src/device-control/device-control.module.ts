import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DevicesModule } from '../devices/devices.module';
import { ControlDeviceHandler } from './commands/control-device/control-device.handler';
import { ControlDeviceHttpController } from './commands/control-device/control-device.http.controller';
import { DeviceInvoker } from './device-invoker';
import { ReadDeviceHandler } from './queries/read-device/read-device.handler';
import { ReadDeviceHttpController } from './queries/read-device/read-device.http.controller';

/** Reading and driving devices: REST → device-command → device and back. */
@Module({
  imports: [AuthModule, DevicesModule],
  controllers: [ReadDeviceHttpController, ControlDeviceHttpController],
  providers: [DeviceInvoker, ReadDeviceHandler, ControlDeviceHandler],
  exports: [DeviceInvoker],
})
export class DeviceControlModule {}
