import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { BrokerAuthHttpServer } from './broker-auth.http-server';
import { AuthorizeBrokerAccessHandler } from './queries/authorize-broker-access/authorize-broker-access.handler';

/** The platform's answers to RabbitMQ about device logins and permissions. */
@Module({
  imports: [DevicesModule],
  providers: [AuthorizeBrokerAccessHandler, BrokerAuthHttpServer],
})
export class BrokerAuthModule {}
