export { AppError, isAppError } from './app-error.js';
export { ERROR_CODES, isErrorCode, statusOf, type ErrorCode } from './codes.js';
