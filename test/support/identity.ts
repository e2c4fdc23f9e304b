/** Helpers for identity tests: a platform, and users signed in through the real HTTP routes. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

export const STRONG_PASSWORD = 'T9#kq2!vLm4@Zr-quartz';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}

export async function post(app: FastifyInstance, url: string, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: { 'content-type': 'application/json', ...headers } });
}

export async function registerAndLogin(app: FastifyInstance, email = uniqueEmail(), password = STRONG_PASSWORD, headers: Record<string, string> = {}): Promise<{ email: string; userId: string; tokens: Tokens }> {
  const reg = await post(app, '/v1/auth/register', { email, password }, headers);
  expect(reg.statusCode, reg.body).toBe(201);
  const login = await post(app, '/v1/auth/login', { email, password }, headers);
  expect(login.statusCode, login.body).toBe(200);
  const tokens = login.json() as Tokens;
  expect(tokens.tokenType).toBe('Bearer');
  return { email, userId: (reg.json() as { userId: string }).userId, tokens };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
