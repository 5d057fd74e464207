import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';

export class DeviceTimeoutQueryDto {
  /** How long to wait for the device, in ms (100..30000, default 5000). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(DEVICE_TIMEOUT_MS.min)
  @Max(DEVICE_TIMEOUT_MS.max)
  timeout?: number;
}
