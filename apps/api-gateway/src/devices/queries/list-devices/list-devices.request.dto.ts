import { IsIn, IsOptional } from 'class-validator';

export class ListDevicesRequestDto {
  /** `true`: only devices connected now; `false`: only those that are not. */
  @IsOptional()
  @IsIn(['true', 'false'])
  online?: 'true' | 'false';
}
