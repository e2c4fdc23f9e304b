/**
 * RFC 9457 problem documents. The one translation from internal errors to what a client sees:
 * AppError → its code; Fastify's own client errors → a platform code; anything else → 500
 * INTERNAL_ERROR with no detail (the real error is logged with the request id).
 */
import { AppError, ERROR_CODES, type ErrorCode } from '../lib/errors/index.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  requestId: string;
  [extension: string]: unknown;
}

export function problemFor(code: ErrorCode, detail: string, requestId: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = ERROR_CODES[code];
  return { ...extensions, type: `urn:q2:error:${code}`, title, status, code, detail, requestId };
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_ASYNC_CONSTRAINT: 'VALIDATION_FAILED',
};

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 431: 'HEADERS_TOO_LARGE',
};

/** Where in the request a schema violation sits, as a JSON-pointer-like path (`body/quantity`). */
function validationPath(error: FastifyLikeError): { path: string; message: string }[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).slice(0, 10).map((issue) => {
    const extra = issue.params?.additionalProperty;
    const missing = issue.params?.missingProperty;
    const base = `${context}${issue.instancePath ?? ''}`;
    if (typeof extra === 'string') return { path: `${base}/${extra}`, message: 'unknown field' };
    if (typeof missing === 'string') return { path: `${base}/${missing}`, message: 'required field missing' };
    return { path: base, message: issue.message ?? 'invalid' };
  });
}

export interface Classified {
  problem: Problem;
  headers: Readonly<Record<string, string>>;
  /** True when the error is ours or the client's, false when it is a bug to log loudly. */
  expected: boolean;
}

export function classifyError(error: unknown, requestId: string): Classified {
  if (error instanceof AppError) {
    return { problem: problemFor(error.code, error.detail, requestId, { ...error.extensions }), headers: error.headers, expected: true };
  }
  const e = (error ?? {}) as FastifyLikeError;
  if (e.validation) {
    const errors = validationPath(e);
    const first = errors[0];
    const detail = first ? `${first.path}: ${first.message}` : 'request does not match the schema';
    return { problem: problemFor('VALIDATION_FAILED', detail, requestId, { errors }), headers: {}, expected: true };
  }
  const mapped = (e.code && FASTIFY_CODES[e.code]) || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? STATUS_CODES[e.statusCode] ?? 'VALIDATION_FAILED' : undefined);
  if (mapped) {
    // Fastify's own messages for these are generic and safe, but use our titles for stability.
    return { problem: problemFor(mapped, ERROR_CODES[mapped].title, requestId), headers: {}, expected: true };
  }
  return { problem: problemFor('INTERNAL_ERROR', 'An internal error occurred; quote the requestId to support.', requestId), headers: {}, expected: false };
}
