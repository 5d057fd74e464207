import { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { GatewayConfig } from '../../config/gateway.config';

export const BROKER_ENDPOINTS = Symbol('BROKER_ENDPOINTS');

/** Where devices connect, as advertised to them at registration. */
export interface BrokerEndpoints {
  mqtt: { host: string; port: number };
  amqp: { host: string; port: number };
}

export const brokerEndpointsProvider: Provider = {
  provide: BROKER_ENDPOINTS,
  inject: [ConfigService],
  useFactory: (config: ConfigService<GatewayConfig, true>): BrokerEndpoints => {
    const host = config.get('PUBLIC_HOST', { infer: true });
    return {
      mqtt: { host, port: config.get('MQTT_PORT', { infer: true }) },
      amqp: { host, port: config.get('AMQP_PORT', { infer: true }) },
    };
  },
};
