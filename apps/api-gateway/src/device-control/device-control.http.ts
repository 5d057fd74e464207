import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvokeDeviceResult, sortableId } from '@app/common';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { ErrorResponseDto } from '../infrastructure/error-response.dto';

const DEVICE_ERRORS: [number, string][] = [
  [400, 'VALIDATION_FAILED, INVALID_DEVICE_REQUEST'],
  [401, 'UNAUTHORIZED'],
  [404, 'DEVICE_NOT_FOUND'],
  [429, 'DEVICE_BUSY: too many requests already wait for this device'],
  [502, 'DEVICE_BAD_REPLY: the device answered with something that breaks the protocol'],
  [503, 'DEVICE_OFFLINE (the device is not connected) or DEVICE_COMMAND_UNAVAILABLE'],
  [504, 'DEVICE_TIMEOUT: the device did not answer within `timeout` ms'],
];

/** Auth, tag and the error responses every device-control route shares. */
export function DeviceControlRoute(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiTags('device control'),
    ApiBearerAuth(),
    UseGuards(JwtAuthGuard),
    ...DEVICE_ERRORS.map(([status, description]) => ApiResponse({ status, description, type: ErrorResponseDto })),
  );
}

export const COMMAND_ID_HEADER = 'X-Command-Id';

/**
 * A new device command's id, sent at once as X-Command-Id (so errors carry it too).
 * Time-ordered, so a device's history lists by id.
 */
export function startCommand(response: Response): string {
  const commandId = sortableId();
  response.setHeader(COMMAND_ID_HEADER, commandId);
  return commandId;
}

/** The device's reply is the body; its round trip is told in a Server-Timing header. */
export function deviceReply(result: InvokeDeviceResult, response: Response): Record<string, unknown> {
  response.setHeader('Server-Timing', `device;dur=${result.deviceLatencyMs.toFixed(2)}`);
  return result.reply;
}
