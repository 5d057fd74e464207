import { Body, Controller, Get, HttpCode, Inject, Ip, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { CertificateAuthority } from '@app/pki';
import { IssueLegacySecretCommand } from '../auth/commands/issue-legacy-secret/issue-legacy-secret.command';
import { SignUpCommand } from '../auth/commands/sign-up/sign-up.command';
import { AuthenticatedUser } from '../auth/jwt-auth.guard';
import { AuthenticateLegacySecretQuery } from '../auth/queries/authenticate-legacy-secret/authenticate-legacy-secret.query';
import { CERTIFICATE_AUTHORITY } from '../devices/certificate-authority.provider';
import { RegisterDeviceCommand } from '../devices/commands/register-device/register-device.command';
import { UnregisterDeviceCommand } from '../devices/commands/unregister-device/unregister-device.command';
import { ListDevicesQuery } from '../devices/queries/list-devices/list-devices.query';
import { answerErrors, legacyBody, text } from './legacy-request';
import {
  LEGACY_DEVICE_LIST,
  LEGACY_INDEX,
  LEGACY_LOGIN,
  LEGACY_REGISTRATION,
  LEGACY_STATUS,
  LegacyRoute,
  legacyBodySchema,
} from './legacy.openapi';

type Status = { status: string };
const SECRET_INCORRECT = { status: 'NG, secret is incorrect' };

/**
 * The account and registry routes of libpyiotcloud, at the root paths: a thin
 * translation onto the same commands and queries as the modern API. Replies
 * keep the old shapes and "NG, …" messages, with status 200, as its clients expect.
 */
@ApiTags('legacy')
@Controller()
export class LegacyRegistryHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(CERTIFICATE_AUTHORITY) private readonly ca: CertificateAuthority,
  ) {}

  @LegacyRoute('What this server is (libpyiotcloud)', null, LEGACY_INDEX)
  @Get()
  index(): Status & { message: string } {
    return {
      status: 'OK',
      message: 'IoTCloud (libpyiotcloud-compatible API; the modern API is documented at /api/docs)',
    };
  }

  @LegacyRoute('Create an account (libpyiotcloud)', legacyBodySchema(['username', 'password']), LEGACY_STATUS)
  @Post('signup')
  @HttpCode(200)
  signUp(@Body() raw: unknown): Promise<Status> {
    const body = legacyBody(raw);
    return answerErrors(
      async () => {
        await this.commandBus.execute(new SignUpCommand(text(body, 'username'), text(body, 'password')));
        return { status: 'OK' };
      },
      {
        USERNAME_TAKEN: { status: 'NG, username already exist' },
        INVALID_USERNAME: { status: 'NG, invalid username' },
        WEAK_PASSWORD: { status: 'NG, password too short' },
      },
    );
  }

  @LegacyRoute('Get your legacy secret (libpyiotcloud)', legacyBodySchema(['username', 'password']), LEGACY_LOGIN)
  @Post('login')
  @HttpCode(200)
  logIn(@Body() raw: unknown, @Ip() ip: string): Promise<Status & { secret: string }> {
    const body = legacyBody(raw);
    return answerErrors(
      async () => {
        const { secret } = await this.commandBus.execute(
          new IssueLegacySecretCommand(text(body, 'username'), text(body, 'password'), ip),
        );
        return { status: 'OK', secret };
      },
      {
        USERNAME_UNKNOWN: { status: 'NG, username does not exist', secret: 'Unknown' },
        PASSWORD_INCORRECT: { status: 'NG, password is incorrect', secret: 'Unknown' },
      },
    );
  }

  @LegacyRoute('Your devices (libpyiotcloud)', legacyBodySchema(['username', 'secret']), LEGACY_DEVICE_LIST)
  @Get('get_device_list')
  getDeviceList(@Body() raw: unknown): Promise<Status & { devices?: object[] }> {
    return this.asUser(raw, async (user) => {
      const devices = await this.queryBus.execute(new ListDevicesQuery(user.userId));
      const ca = this.ca.certificatePem;
      return {
        status: 'OK',
        devices: devices.map((d) => ({ devicename: d.name, deviceid: d.deviceId, cert: d.certificatePem, ca })),
      };
    });
  }

  @LegacyRoute(
    'Register a device (libpyiotcloud)',
    legacyBodySchema(['username', 'secret', 'devicename']),
    LEGACY_REGISTRATION,
  )
  @Post('register_device')
  @HttpCode(200)
  registerDevice(@Body() raw: unknown): Promise<Status & Record<string, string>> {
    const body = legacyBody(raw);
    return this.asUser(raw, (user) =>
      answerErrors(
        async () => {
          const r = await this.commandBus.execute(
            new RegisterDeviceCommand(user.userId, text(body, 'devicename'), 'rsa'),
          );
          return {
            status: 'OK',
            devicename: r.device.name,
            deviceid: r.device.deviceId,
            cert: r.device.certificatePem,
            pkey: r.privateKeyPem ?? '',
            ca: r.caCertificatePem,
            // Not in libpyiotcloud: the per-device broker password, for tools that log in with deviceid/password.
            brokerpassword: r.brokerPassword,
          };
        },
        {
          DEVICE_NAME_TAKEN: { status: 'NG, device already registered' },
          INVALID_DEVICE_NAME: { status: 'NG, invalid devicename' },
        },
      ),
    );
  }

  @LegacyRoute(
    'Unregister a device (libpyiotcloud)',
    legacyBodySchema(['username', 'secret', 'devicename']),
    LEGACY_STATUS,
  )
  @Post('unregister_device')
  @HttpCode(200)
  unregisterDevice(@Body() raw: unknown): Promise<Status> {
    const body = legacyBody(raw);
    return this.asUser(raw, (user) =>
      answerErrors(
        async () => {
          await this.commandBus.execute(new UnregisterDeviceCommand(user.userId, text(body, 'devicename')));
          return { status: 'OK' };
        },
        { DEVICE_NOT_FOUND: { status: 'NG, device not registered' } },
      ),
    );
  }

  /** Runs `action` as the user of the body's username + secret, or answers "secret is incorrect". */
  private asUser<T>(raw: unknown, action: (user: AuthenticatedUser) => Promise<T>): Promise<T | Status> {
    const body = legacyBody(raw);
    return answerErrors(
      async () =>
        action(
          await this.queryBus.execute(new AuthenticateLegacySecretQuery(text(body, 'username'), text(body, 'secret'))),
        ),
      { INVALID_LEGACY_SECRET: SECRET_INCORRECT },
    );
  }
}
