import { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CertificateAuthority, loadCertificateAuthority } from '@app/pki';
import * as path from 'node:path';
import { GatewayConfig } from '../config/gateway.config';

export const CERTIFICATE_AUTHORITY = Symbol('CERTIFICATE_AUTHORITY');

/** The platform CA, loaded once at start-up from CERTS_DIR (fails fast when missing). */
export const certificateAuthorityProvider: Provider = {
  provide: CERTIFICATE_AUTHORITY,
  inject: [ConfigService],
  useFactory: (config: ConfigService<GatewayConfig, true>): Promise<CertificateAuthority> =>
    loadCertificateAuthority(path.resolve(config.get('CERTS_DIR', { infer: true }))),
};
