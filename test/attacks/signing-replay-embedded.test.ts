/**
 * Threat: replay of a captured signed request against a single replica on the embedded default
 * (SQLite, no Redis), whose replay store is in-process (src/modules/apikeys/memory-nonces.ts).
 * The pair must be remembered for as long as any copy of the request can pass the `created`
 * check: a request signed up to 30 s ahead of the server clock is acceptable for 60 s, so a
 * store that forgot pairs after one window would let that request be served twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock/index.js';
import type { SigningKey } from '../../src/modules/signing/index.js';
import { createEd25519Key, scopedTestRoutes, sendWire, signWire, steppedUpUser, testAddress, type Reached } from '../support/apikeys.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const clock = createManualClock(Date.UTC(2026, 11, 5, 12, 0, 7));
const reached: Reached[] = [];
const from = testAddress();
let platform: TestPlatform;
let ed: { keyId: string; key: SigningKey };

beforeAll(async () => {
  platform = await startTestPlatform({}, { clock, routes: [scopedTestRoutes(reached)] });
  const user = await steppedUpUser(platform.app, clock);
  ed = await createEd25519Key(platform.app, user.token, { label: 'ed', scopes: ['trade'] });
});
afterAll(async () => {
  await platform?.stop();
});

const signedAt = (createdMs: number, clientOrderId: string) =>
  signWire({ method: 'POST', target: '/v1/test/trade', body: { clientOrderId }, keyId: ed.keyId, key: ed.key, nowMs: createdMs, remoteAddress: from });

describe('replays on the embedded single replica', () => {
  it('refuses a replay at every point of the window with REPLAY_DETECTED, and serves the original once', async () => {
    const request = signedAt(clock.now(), 'embedded-1');
    const before = reached.length;
    expect((await sendWire(platform.app, request)).statusCode).toBe(200);
    for (const step of [0, 1_000, 14_000, 15_000]) {
      clock.advance(step);
      const replay = await sendWire(platform.app, request);
      expect(replay.statusCode, `replay at +${step} ms`).toBe(401);
      expect(replay.json().code).toBe('REPLAY_DETECTED');
    }
    expect(reached.length - before).toBe(1);
  });

  it('remembers a request signed 29 s ahead of the clock until its created check fails, 58 s later', async () => {
    const request = signedAt(clock.now() + 29_000, 'embedded-ahead');
    const before = reached.length;
    expect((await sendWire(platform.app, request)).statusCode).toBe(200);
    clock.advance(58_000); // created is now 29 s in the past: still inside ±30 s
    const replay = await sendWire(platform.app, request);
    expect(replay.json().code).toBe('REPLAY_DETECTED');
    clock.advance(2_000);
    expect((await sendWire(platform.app, request)).json().code).toBe('SIGNATURE_EXPIRED');
    expect(reached.length - before).toBe(1);
  });
});
