import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  Equals,
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

/**
 * At least one criterion (the document says `minProperties: 1`; the handler answers 400 INVALID_JOB
 * otherwise). `all` and `online` are `true` or left out: `false` would select nothing new, and
 * `"online": false` reads as "offline devices", which it never meant.
 */
export class JobSelectorDto {
  /** Every device of yours. */
  @ApiPropertyOptional({ enum: [true] })
  @ValidateIf(present)
  @Equals(true)
  all?: true;

  /** Devices with this tag, `key=value`. */
  @ApiPropertyOptional({ pattern: TAG_FILTER_PATTERN.source })
  @ValidateIf(present)
  @IsString()
  tag?: string;

  /**
   * Devices connected (alone, or with `tag`) when the job's runner resolves it, normally within a second
   * of the 202; the device list is fixed then.
   */
  @ApiPropertyOptional({ enum: [true] })
  @ValidateIf(present)
  @Equals(true)
  online?: true;
}

export class AbortRuleDto {
  /** Stop dispatching when more than this % of the outcomes so far are not `ok`. */
  @IsNumber()
  @Min(0)
  @Max(100)
  failedPercent: number;

  /** ... once there are at least this many outcomes (default 10). */
  @ApiPropertyOptional({ type: 'integer' })
  @ValidateIf(present)
  @IsInt()
  @Min(1)
  minOutcomes?: number;
}

export class StartJobRequestDto {
  /**
   * The devices, by name (or give `selector`); a name given twice counts once. Names are checked for form,
   * not existence: a device that does not exist gets the outcome `not_found`.
   */
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: DEVICE_NAME_PATTERN.source },
    maxItems: MAX_JOB_DEVICES,
  })
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

  // The document states `params` per api (start-job.openapi.ts), from the device API table the handler
  // checks them with (400 INVALID_DEVICE_REQUEST).
  /**
   * Its parameters, as the single-device route takes them, e.g. `{"number": 3, "value": 1}`: exactly the
   * api's fields, none other (docs/device-protocol.md); may be left out for an api without any.
   */
  @ValidateIf(present)
  @IsObject()
  params?: Record<string, unknown>;

  /** Per-device timeout in ms (100..30000, default 5000). */
  @ApiPropertyOptional({ type: 'integer' })
  @ValidateIf(present)
  @IsInt()
  @Min(DEVICE_TIMEOUT_MS.min)
  @Max(DEVICE_TIMEOUT_MS.max)
  timeoutMs?: number;

  /** Devices in flight at once (1..1000, default 50). */
  @ApiPropertyOptional({ type: 'integer' })
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
