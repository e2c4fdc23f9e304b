import type { FastifyRequest } from 'fastify';
import { AppError } from '../../../lib/errors/index.js';
import type { Principal } from '../../../lib/auth/index.js';
import type { RequestContext } from '../sessions/session-service.js';

export function contextOf(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null, requestId: request.id };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED', 'Bearer token required.');
  return request.principal;
}
