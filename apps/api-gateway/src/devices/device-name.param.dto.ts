import { Matches } from 'class-validator';
import { DEVICE_NAME_PATTERN, DEVICE_NAME_RULE } from './domain/device';

export class DeviceNameParamDto {
  /** The device's name. */
  @Matches(DEVICE_NAME_PATTERN, { message: `name must be ${DEVICE_NAME_RULE}` })
  name: string;
}
