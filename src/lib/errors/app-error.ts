import { ERROR_CODES, type ErrorCode } from './codes.js';

/**
 * The base class for every expected failure that may reach a client. `detail` is shown to the
 * client, so it must never carry internals (SQL, paths, secrets); put those in `cause`, which is
 * only logged. Programmer misuse stays a plain TypeError.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  /** Extra response headers (e.g. Retry-After) and machine-readable extensions. */
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: {
      cause?: unknown;
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.detail = detail ?? ERROR_CODES[code].title;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
