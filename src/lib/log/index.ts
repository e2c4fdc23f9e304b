/**
 * pino logger with redaction of anything that can carry a credential. Secrets must never reach
 * logs even when a developer logs a whole request or body by mistake.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers.signature',
  'res.headers["set-cookie"]',
  '*.password', '*.currentPassword', '*.newPassword', '*.secret', '*.refreshToken', '*.accessToken',
  '*.mfaToken', '*.enrollmentToken', '*.code', '*.pin', '*.privateKey', '*.masterPassphrase',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'q2' },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
