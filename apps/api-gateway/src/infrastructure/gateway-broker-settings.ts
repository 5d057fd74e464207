import { ConfigService } from '@nestjs/config';
import * as path from 'node:path';
import { BrokerConnectionSettings, parseAmqpUrls } from '@app/common/nest';
import { loadServiceTls } from '@app/pki';
import { GatewayConfig } from '../config/gateway.config';

/** How every broker connection of the gateway logs in: its certificate, to any node of AMQP_URLS. */
export function gatewayBrokerSettings(config: ConfigService<GatewayConfig, true>): BrokerConnectionSettings {
  return {
    host: config.get('AMQP_HOST', { infer: true }),
    port: config.get('AMQP_PORT', { infer: true }),
    endpoints: parseAmqpUrls(config.get('AMQP_URLS', { infer: true })),
    ...loadServiceTls(path.resolve(config.get('CERTS_DIR', { infer: true })), 'api-gateway'),
  };
}
