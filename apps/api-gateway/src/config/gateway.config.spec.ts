import 'reflect-metadata';
import { ConfigValidationError, validateConfigWith } from '@app/common/nest';
import { GatewayConfig } from './gateway.config';

describe('GatewayConfig', () => {
  const validate = validateConfigWith(GatewayConfig);
  const secrets = {
    JWT_SECRET: 'j'.repeat(64),
    LEGACY_SECRET_KEY: 'l'.repeat(64),
    BROKER_ADMIN_PASSWORD: 'a'.repeat(32),
  };

  it('applies the local defaults, inherited ones included, and converts env strings', () => {
    const config = validate({ ...secrets, PORT: '9443', HTTPS: 'false', DEVICE_COMMAND_SHARDS: '4' });
    expect(config).toMatchObject({
      PORT: 9443,
      HTTPS: false,
      AMQP_HOST: 'localhost',
      AMQP_PORT: 5671,
      CERTS_DIR: 'certs',
      DEVICE_COMMAND_SHARDS: 4,
      MONGODB_URI: 'mongodb://127.0.0.1:27018/iotcloud',
    });
    expect(validate(secrets).HTTPS).toBe(true);
  });

  it('fails at start-up naming every bad or missing variable', () => {
    try {
      validate({ ...secrets, JWT_SECRET: undefined, AMQP_PORT: 'abc', HTTPS: 'maybe', MONGODB_URI: 'postgres://x' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      const message = (error as Error).message;
      for (const name of ['JWT_SECRET', 'AMQP_PORT', 'HTTPS', 'MONGODB_URI']) expect(message).toContain(name);
      expect(message).toContain('npm run setup');
    }
  });

  it('reads TRUST_PROXY as Express takes it, and refuses anything else', () => {
    expect(validate(secrets).TRUST_PROXY).toBe(false);
    expect(validate({ ...secrets, TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(validate({ ...secrets, TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(validate({ ...secrets, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
    expect(() => validate({ ...secrets, TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });
});
