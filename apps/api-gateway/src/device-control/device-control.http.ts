import { applyDecorators, Type, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvokeDeviceResult } from '@app/common';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors, BODY_ERRORS, ErrorCodes } from '../infrastructure/api-errors';

/** What any call to a device can answer besides its reply. */
const DEVICE_ERRORS: ErrorCodes = {
  400: ['VALIDATION_FAILED', 'INVALID_DEVICE_REQUEST'],
  404: ['DEVICE_NOT_FOUND'],
  429: ['DEVICE_BUSY'],
  502: ['DEVICE_BAD_REPLY'],
  503: ['DEVICE_OFFLINE', 'DEVICE_COMMAND_UNAVAILABLE'],
  504: ['DEVICE_TIMEOUT'],
};

/** Auth and tag every device-control controller shares. */
export function DeviceControlRoute(): ClassDecorator {
  return applyDecorators(ApiTags('device control'), ApiBearerAuth(), UseGuards(JwtAuthGuard));
}

/** One device-control route: the device's reply on 200, and every error it can answer with. */
export function DeviceCall(reply: Type<unknown>, options: { body?: boolean } = {}): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({
      type: reply,
      headers: {
        'Server-Timing': { description: "The device's round trip: `device;dur=<ms>`", schema: { type: 'string' } },
      },
    }),
    ApiErrors(AUTH_ERRORS, DEVICE_ERRORS, options.body ? BODY_ERRORS : {}),
  );
}

/** The device's reply is the body; its round trip is told in a Server-Timing header. */
export function deviceReply(result: InvokeDeviceResult, response: Response): Record<string, unknown> {
  response.setHeader('Server-Timing', `device;dur=${result.deviceLatencyMs.toFixed(2)}`);
  return result.reply;
}
