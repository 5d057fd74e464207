import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import { TAGS_SCHEMA } from '../../domain/device-tags';

export class UpdateDeviceRequestDto {
  /**
   * The device's tags, replacing the ones it had: up to 16, keys 1-64 letters, digits, `_ -`,
   * values 1-128 letters, digits, `_ . : @ + -`. `{}` removes them all.
   */
  @ApiProperty(TAGS_SCHEMA)
  @IsObject()
  tags: Record<string, string>;
}
