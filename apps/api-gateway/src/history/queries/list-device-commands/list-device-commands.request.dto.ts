import { PageSize } from '../../../infrastructure/page-size';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { DEVICE_APIS } from '@app/device-protocol';

export class ListDeviceCommandsRequestDto {
  /** Page size, 1..100 (default 20). */
  @PageSize(100, 20)
  limit?: number;

  /** Only commands older than this command id (`nextBefore` of the previous page). */
  @IsOptional()
  @Matches(/^[0-9a-f]{24}$/, { message: 'before must be a command id' })
  before?: string;

  /** Only this device API. */
  @IsOptional()
  @IsIn(DEVICE_APIS)
  api?: string;

  /** Only this outcome: `OK` or an error code. */
  @IsOptional()
  @Matches(/^[A-Z_]{2,64}$/, { message: 'outcome must be OK or an error code' })
  outcome?: string;
}

export class DeviceCommandParamsDto {
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'name must be 1-64 characters of letters, digits, _ and -' })
  name: string;

  /** The X-Command-Id of the command. */
  @Matches(/^[0-9a-f]{24}$/, { message: 'id must be a command id' })
  id: string;
}
