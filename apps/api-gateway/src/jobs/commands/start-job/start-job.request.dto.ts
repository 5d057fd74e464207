import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  Max,
  Min,
  ValidateNested,
  ValidateIf,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEVICE_APIS, DEVICE_TIMEOUT_MS } from '@app/device-protocol';
import { DEVICE_NAME_PATTERN } from '../../../devices/domain/device';
import { TAG_FILTER_PATTERN } from '../../../devices/domain/device-tags';
import { MAX_JOB_DEVICES } from '../../domain/job';

/** Optional fields may be left out, but not sent as null (IsOptional would let null through). */
const present = (_: object, value: unknown): boolean => value !== undefined;

export class JobSelectorDto {
  /** Every device of yours. */
  @ValidateIf(present)
  @IsBoolean()
  all?: boolean;

  /** Devices with this tag, `key=value`. */
  @ApiPropertyOptional({ pattern: TAG_FILTER_PATTERN.source })
  @ValidateIf(present)
  @IsString()
  tag?: string;

  /** Devices connected now (alone, or with `tag`); the device list is fixed when the job is created. */
  @ValidateIf(present)
  @IsBoolean()
  online?: boolean;
}

export class AbortRuleDto {
  /** Stop dispatching when more than this % of the outcomes so far are not `ok`. */
  @IsNumber()
  @Min(0)
  @Max(100)
  failedPercent: number;

  /** ... once there are at least this many outcomes (default 10). */
  @ValidateIf(present)
  @IsInt()
  @Min(1)
  minOutcomes?: number;
}

export class StartJobRequestDto {
  /** The devices, by name (or give `selector`). */
  @ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: DEVICE_NAME_PATTERN.source } })
  @ValidateIf(present)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_JOB_DEVICES)
  @IsString({ each: true })
  devices?: string[];

  @ValidateIf(present)
  @ValidateNested()
  @Type(() => JobSelectorDto)
  selector?: JobSelectorDto;

  /** The device API, e.g. `set_gpio` (see docs/device-protocol.md). */
  @ApiProperty({ enum: DEVICE_APIS })
  @IsString()
  api: string;

  /** Its parameters, as the single-device route takes them, e.g. `{"number": 3, "value": 1}`. */
  @ValidateIf(present)
  @IsObject()
  params?: Record<string, unknown>;

  /** Per-device timeout in ms (100..30000, default 5000). */
  @ValidateIf(present)
  @IsInt()
  @Min(DEVICE_TIMEOUT_MS.min)
  @Max(DEVICE_TIMEOUT_MS.max)
  timeoutMs?: number;

  /** Devices in flight at once (1..1000, default 50). */
  @ValidateIf(present)
  @IsInt()
  @Min(1)
  @Max(1000)
  concurrency?: number;

  /** Devices started per second at most (optional). */
  @ValidateIf(present)
  @IsNumber()
  @Min(0.1)
  @Max(10_000)
  ratePerSecond?: number;

  @ValidateIf(present)
  @ValidateNested()
  @Type(() => AbortRuleDto)
  abort?: AbortRuleDto;
}
