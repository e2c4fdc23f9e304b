/** Challenge keys for passwordless passkey logins: random handles the client echoes back. */
import { randomBytes } from 'node:crypto';

export function createPendingChallengeKey(): string {
  return `q2p_${randomBytes(24).toString('base64url')}`;
}
