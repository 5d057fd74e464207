import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';

// The Swagger plugin reads literal arguments of validation decorators only, and no
// integer type: @ApiProperty states what the decorators enforce, from the same constants.

export class DeviceTimeoutQueryDto {
  /** How long to wait for the device, in ms. */
  @ApiProperty({
    type: 'integer',
    minimum: DEVICE_TIMEOUT_MS.min,
    maximum: DEVICE_TIMEOUT_MS.max,
    default: DEVICE_TIMEOUT_MS.default,
    required: false,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(DEVICE_TIMEOUT_MS.min)
  @Max(DEVICE_TIMEOUT_MS.max)
  timeout?: number;
}
