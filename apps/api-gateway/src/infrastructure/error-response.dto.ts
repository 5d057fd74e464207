/** The one error shape of every route. */
export class ErrorResponseDto {
  /** HTTP status, repeated in the body. */
  statusCode: number;
  /** Stable machine-readable code, e.g. `DEVICE_NOT_FOUND`. */
  code: string;
  /** Human-readable explanation. */
  message: string;
}
