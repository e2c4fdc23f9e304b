/**
 * Per-route configuration every route may declare (STYLE §7: its rate-limit class). The network
 * module reads it; routes that declare none get the `default` class.
 */
import type { RouteClass } from '../modules/network/config.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: RouteClass;
  }
}

export type { RouteClass };
