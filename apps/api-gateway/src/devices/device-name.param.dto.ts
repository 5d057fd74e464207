import { Matches } from 'class-validator';
import { DEVICE_NAME_PATTERN } from './domain/device';

export class DeviceNameParamDto {
  /** The device's name. */
  @Matches(DEVICE_NAME_PATTERN, { message: 'name must be 1-64 characters of letters, digits, _ and -' })
  name: string;
}
