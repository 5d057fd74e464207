import { PageSize } from '../../../infrastructure/page-size';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { DEVICE_NAME_PATTERN } from '../../domain/device';
import { TAG_FILTER_PATTERN } from '../../domain/device-tags';

export const MAX_LIST_LIMIT = 500;
export const DEFAULT_LIST_LIMIT = 100;

/** Filters and paging of `GET /devices`. */
export class ListDevicesRequestDto {
  /** Only devices with this tag, as `key=value`; repeat for several (all must match). */
  @IsOptional()
  @ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: TAG_FILTER_PATTERN.source } })
  @Transform(({ value }: { value: unknown }): unknown[] => (Array.isArray(value) ? (value as unknown[]) : [value]))
  @Matches(TAG_FILTER_PATTERN, {
    each: true,
    message: 'tag must be key=value (key: 1-64 letters, digits, _ -; value: 1-128 letters, digits, _ . : @ + -)',
  })
  tag?: string[];

  /** Only names starting with this. */
  @IsOptional()
  @ApiPropertyOptional({ pattern: DEVICE_NAME_PATTERN.source })
  @Matches(DEVICE_NAME_PATTERN, { message: 'prefix must be 1-64 letters, digits, _ and -' })
  prefix?: string;

  /** Page size, 1-500 (default 100). A shorter page is the last one. */
  @PageSize(MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT)
  limit?: number;

  /** The cursor: the last name of the previous page; this page starts after it. */
  @IsOptional()
  @ApiPropertyOptional({ pattern: DEVICE_NAME_PATTERN.source })
  @Matches(DEVICE_NAME_PATTERN, { message: 'after must be a device name' })
  after?: string;

  /** `true`: only devices connected now; `false`: only those that are not. */
  @IsOptional()
  @IsIn(['true', 'false'])
  online?: 'true' | 'false';
}
