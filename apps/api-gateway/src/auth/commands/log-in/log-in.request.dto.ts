import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LogInRequestDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  username: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}
