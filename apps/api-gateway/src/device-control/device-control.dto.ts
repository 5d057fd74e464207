import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { TIMEOUT_MS } from '@app/common';
import { MAX_GPIO_NUMBER, MAX_RTC_SECONDS, MAX_UART_DATA_LENGTH } from '@app/device-protocol';
import { DeviceNameParamDto } from '../devices/device-name.param.dto';

// The Swagger plugin reads literal arguments of validation decorators only, and no
// integer type: @ApiProperty states what the decorators enforce, from the same constants.

export class DeviceTimeoutQueryDto {
  /** How long to wait for the device, in ms. */
  @ApiProperty({
    type: 'integer',
    minimum: TIMEOUT_MS.min,
    maximum: TIMEOUT_MS.max,
    default: TIMEOUT_MS.default,
    required: false,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(TIMEOUT_MS.min)
  @Max(TIMEOUT_MS.max)
  timeout?: number;
}

export class DeviceGpioParamsDto extends DeviceNameParamDto {
  /** GPIO pin number. */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_GPIO_NUMBER })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_GPIO_NUMBER)
  number: number;
}

export class SetStatusRequestDto {
  /** Only `restart` is supported. */
  @IsIn(['restart'])
  status: 'restart';
}

export class SetGpioRequestDto {
  /** 0 (low) or 1 (high). */
  @ApiProperty({ type: 'integer', enum: [0, 1] })
  @IsIn([0, 1])
  value: 0 | 1;
}

export class SetRtcRequestDto {
  /** Epoch seconds. */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_RTC_SECONDS })
  @IsInt()
  @Min(0)
  @Max(MAX_RTC_SECONDS)
  value: number;
}

export class SetMacRequestDto {
  /** Six hex octets separated by colons, e.g. `aa:bb:cc:dd:ee:ff`. */
  @IsString()
  @Matches(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, { message: 'value must be a MAC address like aa:bb:cc:dd:ee:ff' })
  value: string;
}

export class WriteUartRequestDto {
  /** Text to write to the device's UART. */
  @ApiProperty({ type: 'string', maxLength: MAX_UART_DATA_LENGTH })
  @IsString()
  @MaxLength(MAX_UART_DATA_LENGTH)
  data: string;
}

export class StatusReplyDto {
  /** `running`, or `restarting` after a restart request. */
  @ApiProperty({ enum: ['running', 'restarting'] })
  status: string;
}

export class GpioReplyDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_GPIO_NUMBER })
  number: number;
  @ApiProperty({ type: 'integer', enum: [0, 1] })
  value: number;
}

export class RtcReplyDto {
  /** The device clock, in epoch seconds. */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_RTC_SECONDS })
  value: number;
}

export class AddressReplyDto {
  /** A MAC address (`aa:bb:cc:dd:ee:ff`) or a dotted-quad IPv4 address. */
  value: string;
}

export class UartReplyDto {
  data: string;
}
