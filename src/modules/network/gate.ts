/**
 * The network layer's place in the Fastify lifecycle:
 *
 * - onRoute: every route gets its class (its `config.rateLimit`, else `health` for the probes,
 *   `admin` under /v1/admin/, else `default`), the class body-size cap when it set none, and
 *   the per-principal check as its first route-level preHandler. App-level preHandlers
 *   (authentication) run before route-level ones, so the check sees `request.principal`,
 *   and it runs before the route's own guards and handler.
 * - onRequest (app-level, before body parsing and authentication): admitAddress.
 * - preParsing (route-level, on routes that can have a body): the minimum body rate.
 *
 * Verdicts become AppErrors here, so refusals are problem+json with the SPEC §2 headers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, preHandlerHookHandler, preParsingHookHandler } from 'fastify';
import type { Principal } from '../../lib/auth/index.js';
import { AppError } from '../../lib/errors/index.js';
import type { AllowlistSubject, IpAllowlists } from './allowlists.js';
import { ROUTE_CLASSES, type NetworkConfig, type RouteClass } from './config.js';
import type { ConnectionGuard } from './connections.js';
import type { Admission, RateInfo, Verdict } from './protection.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's rate-limit class (docs/network.md); `default` when omitted. */
    rateLimit?: RouteClass;
  }
}

const HEALTH_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The class of a route: declared, else inferred from its path. */
export function routeClassOf(url: string, declared: unknown): RouteClass {
  if (declared !== undefined) {
    if (!(ROUTE_CLASSES as readonly unknown[]).includes(declared)) throw new TypeError(`route ${url}: unknown rateLimit class ${String(declared)}`);
    return declared as RouteClass;
  }
  if (HEALTH_PATHS.has(url)) return 'health';
  if (url.startsWith('/v1/admin/')) return 'admin';
  return 'default';
}

function setRateHeaders(reply: FastifyReply, rate: RateInfo): void {
  reply.header('ratelimit-limit', rate.limit);
  reply.header('ratelimit-remaining', rate.remaining);
  reply.header('ratelimit-reset', rate.resetSeconds);
}

function refusal(verdict: Extract<Verdict, { allowed: false }>): AppError {
  const headers: Record<string, string> = {};
  if (verdict.retryAfterSeconds !== null) headers['retry-after'] = String(verdict.retryAfterSeconds);
  if (verdict.rate) {
    headers['ratelimit-limit'] = String(verdict.rate.limit);
    headers['ratelimit-remaining'] = String(verdict.rate.remaining);
    headers['ratelimit-reset'] = String(verdict.rate.resetSeconds);
  }
  return new AppError(verdict.code, verdict.detail, { headers });
}

const RATE_REMAINING = Symbol('q2.network.remaining');
type Tracked = FastifyRequest & { [RATE_REMAINING]?: number };

export interface GateDeps {
  config: NetworkConfig;
  admission: Admission;
  allowlists: IpAllowlists;
  connections: ConnectionGuard;
}

function answer(request: FastifyRequest, reply: FastifyReply, verdict: Verdict, done: (error?: Error) => void): void {
  if (!verdict.allowed) {
    if (verdict.code === 'IP_BLOCKED' || verdict.code === 'SERVICE_OVERLOADED') reply.header('connection', 'close');
    done(refusal(verdict));
    return;
  }
  if (verdict.rate) {
    setRateHeaders(reply, verdict.rate);
    (request as Tracked)[RATE_REMAINING] = verdict.rate.remaining;
  }
  done();
}

export function createGate(deps: GateDeps) {
  const { config, admission, allowlists } = deps;

  async function checkPrincipal(request: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<void> {
    const routeClass = request.routeOptions.config.rateLimit ?? 'default';
    const verdict = await admission.admitPrincipal({
      ip: request.ip, routeClass, requestId: request.id, userId: principal.userId,
      apiKeyId: principal.kind === 'apikey' ? principal.apiKeyId : undefined,
    });
    if (!verdict.allowed) throw refusal(verdict);
    const seen = (request as Tracked)[RATE_REMAINING];
    // Report the tighter of the address and principal budgets.
    if (verdict.rate && (seen === undefined || verdict.rate.remaining < seen)) setRateHeaders(reply, verdict.rate);
    if (routeClass === 'trading') {
      const subjects: AllowlistSubject[] = [{ kind: 'user', id: principal.userId }];
      if (principal.kind === 'apikey' && principal.apiKeyId) subjects.push({ kind: 'apikey', id: principal.apiKeyId });
      const allowed = await allowlists.check(request.ip, subjects);
      if (!allowed.allowed) {
        throw allowed.subject.kind === 'apikey'
          ? new AppError('APIKEY_IP_FORBIDDEN', 'This API key may not trade from this address.')
          : new AppError('IP_BLOCKED', 'Trading from this address is not on the account allowlist.');
      }
    }
  }

  // Callback style: an anonymous request (the common case on public routes) costs no promise.
  const principalCheck: preHandlerHookHandler = (request, reply, done) => {
    const principal = request.principal;
    if (!principal) {
      done();
      return;
    }
    checkPrincipal(request, reply, principal).then(() => done(), (error: Error) => done(error));
  };

  /** The minimum body rate (connections.ts), on routes that can have a body. */
  const bodyRate: preParsingHookHandler = (request, reply, payload, done) => {
    const length = request.headers['content-length'];
    if ((length === undefined && request.headers['transfer-encoding'] === undefined) || length === '0') {
      done(null, payload);
      return;
    }
    done(null, deps.connections.watchBody(request.raw, payload, () => {
      if (!reply.raw.headersSent) reply.raw.setHeader('connection', 'close');
    }, reply.raw));
  };

  return (app: FastifyInstance): void => {
    // Declared up front so every request object keeps one shape (V8 hidden class): a property
    // added per request would slow every later access to the request on the hot path.
    app.decorateRequest(RATE_REMAINING as unknown as string, undefined);
    app.addHook('onRoute', (route: RouteOptions) => {
      const routeClass = routeClassOf(route.url, route.config?.rateLimit);
      route.config = { ...route.config, rateLimit: routeClass };
      const policy = config.classes[routeClass];
      if (route.bodyLimit === undefined && policy.bodyLimitBytes !== null) route.bodyLimit = policy.bodyLimitBytes;
      const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
      // Fastify derives the HEAD twin of a GET route from the options it already passed here.
      if (!own.includes(principalCheck)) route.preHandler = [principalCheck, ...own];
      // Fastify reads no body for GET and HEAD: those routes skip the preParsing phase entirely.
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (methods.some((m) => m !== 'GET' && m !== 'HEAD')) {
        const parsing = route.preParsing === undefined ? [] : Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing];
        if (!parsing.includes(bodyRate)) route.preParsing = [bodyRate, ...parsing];
      }
    });

    app.addHook('onRequest', (request, reply, done) => {
      const routeClass = request.routeOptions.config.rateLimit ?? 'default';
      const verdict = admission.admitAddress({ ip: request.ip, routeClass, requestId: request.id });
      // The in-process store decides synchronously: no promise, no extra tick per request.
      if (verdict instanceof Promise) verdict.then((v) => answer(request, reply, v, done), (error: Error) => done(error));
      else answer(request, reply, verdict, done);
    });
  };
}
