import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { TIMEOUT_MS } from '@app/common';
import { DEVICE_NAME_PATTERN } from '../devices/domain/device';

export class DeviceTimeoutQueryDto {
  /** How long to wait for the device, in ms (100..30000, default 5000). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(TIMEOUT_MS.min)
  @Max(TIMEOUT_MS.max)
  timeout?: number;
}

export class DeviceGpioParamsDto {
  @Matches(DEVICE_NAME_PATTERN, { message: 'name must be 1-64 characters of letters, digits, _ and -' })
  name: string;

  /** GPIO pin number (0..255). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(255)
  number: number;
}

export class SetStatusRequestDto {
  /** Only `restart` is supported. */
  @IsIn(['restart'])
  status: 'restart';
}

export class SetGpioRequestDto {
  /** 0 (low) or 1 (high). */
  @IsIn([0, 1])
  value: 0 | 1;
}

export class SetRtcRequestDto {
  /** Epoch seconds. */
  @IsInt()
  @Min(0)
  @Max(4294967295)
  value: number;
}

export class SetMacRequestDto {
  /** Six hex octets separated by colons, e.g. `aa:bb:cc:dd:ee:ff`. */
  @IsString()
  @Matches(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, { message: 'value must be a MAC address like aa:bb:cc:dd:ee:ff' })
  value: string;
}

export class WriteUartRequestDto {
  /** Text to write to the device's UART (at most 1024 characters). */
  @IsString()
  @MaxLength(1024)
  data: string;
}

export class StatusReplyDto {
  /** `running`, or `restarting` after a restart request. */
  status: string;
}

export class GpioReplyDto {
  number: number;
  value: number;
}

export class ValueReplyDto {
  /** The value: epoch seconds for RTC; a MAC or dotted-quad IPv4 address otherwise. */
  value: string | number;
}

export class UartReplyDto {
  data: string;
}
