import { IsObject } from 'class-validator';

export class UpdateDeviceRequestDto {
  /**
   * The device's tags, replacing the ones it had: up to 16, keys 1-64 letters, digits, `_ . -`,
   * values 1-128 letters, digits, `_ . : @ + -`. `{}` removes them all.
   */
  @IsObject()
  tags: Record<string, string>;
}
