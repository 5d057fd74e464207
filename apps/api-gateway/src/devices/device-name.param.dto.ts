import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { DEVICE_NAME_PATTERN, DEVICE_NAME_RULE } from './domain/device';

export const DEVICE_NAME_MESSAGE = `name must be ${DEVICE_NAME_RULE}`;

export class DeviceNameParamDto {
  /** The device's name: 1-64 characters of letters, digits, `_` and `-`. */
  @ApiProperty({ pattern: DEVICE_NAME_PATTERN.source })
  @Matches(DEVICE_NAME_PATTERN, { message: DEVICE_NAME_MESSAGE })
  name: string;
}
