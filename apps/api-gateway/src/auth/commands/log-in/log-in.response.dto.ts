export class LogInResponseDto {
  /** JWT to send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  tokenType: 'Bearer';
  /** Lifetime of the token in seconds. */
  expiresIn: number;
}
