import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * A list route's optional `limit` query: an integer 1..max. The Swagger plugin reads no integer
 * type from @IsInt, so the document states it here, or `limit=1.5` would be documented as valid.
 */
export function PageSize(max: number, byDefault: number): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: 'integer', minimum: 1, maximum: max, default: byDefault, required: false }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(max),
  );
}
