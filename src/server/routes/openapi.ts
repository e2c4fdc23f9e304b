/** The OpenAPI document generated from the route schemas (@fastify/swagger). */
import type { FastifyInstance } from 'fastify';

export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get('/v1/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    // Public API description; caching it is harmless, but keep the platform-wide no-store.
    return reply.type('application/json; charset=utf-8').send(app.swagger());
  });
}
