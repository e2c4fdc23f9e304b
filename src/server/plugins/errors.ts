/**
 * Error, not-found and raw client-error handling. Nothing internal leaves the process: unexpected
 * errors are logged with the request id and answered with a bare INTERNAL_ERROR problem.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { classifyError, problemFor } from '../problem.js';
import { SECURITY_HEADERS } from './security-headers.js';

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { problem, headers, expected } = classifyError(error, request.id);
    if (expected) {
      request.log.info({ code: problem.code, status: problem.status }, 'request rejected');
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
    void reply.code(problem.status).headers(headers).type(PROBLEM_JSON).send(problem);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).type(PROBLEM_JSON).send(problemFor('NOT_FOUND', 'No such resource.', request.id));
  });
}

/**
 * Errors Fastify raises before any hook runs (undecodable URL, router constraint failures): the
 * onRequest hook never ran, so the security headers are set here.
 */
export function frameworkErrorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const { problem } = classifyError(error, request.id);
  request.log.info({ code: problem.code }, 'request rejected before routing');
  void reply.headers(SECURITY_HEADERS).header('x-request-id', request.id)
    .code(problem.status).type(PROBLEM_JSON).send(problem);
}

/**
 * Node answers malformed requests (bad request line, oversized headers, header timeout) before
 * Fastify sees them. This replaces Fastify's default so those answers are problem+json with the
 * security headers too, and the socket is closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const code = error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE'
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : 'VALIDATION_FAILED';
  const problem = problemFor(code, 'The request could not be parsed.', randomUUID());
  const body = JSON.stringify(problem);
  const headers = Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`).join('\r\n');
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nconnection: close\r\ncontent-type: ${PROBLEM_JSON}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${problem.requestId}\r\n${headers}\r\n\r\n${body}`,
  );
}
