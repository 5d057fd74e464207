import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class SignUpRequestDto {
  /** 3-64 characters: letters, digits, `.`, `_`, `-`, `@`. */
  @IsString()
  @Matches(/^[A-Za-z0-9._@-]{3,64}$/, { message: 'username must be 3-64 characters of letters, digits, . _ - @' })
  username: string;

  /** 8-256 characters. */
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password: string;
}
