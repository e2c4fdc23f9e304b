/**
 * The HTTP payout port configured by Q2_PAYOUT_WEBHOOK_URL / _SECRET, end to end: a withdrawal
 * requested over the API is POSTed, signed, to a real local receiver, and what the receiver
 * answers decides the withdrawal's state. Threats: a payout request that could be forged or
 * replayed to another withdrawal (it is signed over the whole body and carries the withdrawal id),
 * and a receiver answer that is trusted although it is not a known outcome.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifyWebhookSignature, WEBHOOK_ID_HEADER } from '../../src/lib/notify/index.js';
import { parsePayoutAnswer } from '../../src/modules/trading/index.js';
import { startTradingHarness, type TradingHarness } from './trading-harness.js';

const SECRET = 'payout-webhook-secret-0123456789abcdef';
const ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';

interface Received { headers: IncomingMessage['headers']; body: string }
const received: Received[] = [];
/** What the receiver answers, by requested amount. */
const ANSWERS: Record<string, { status: number; body: string }> = {
  '0.1': { status: 200, body: JSON.stringify({ status: 'sent', txId: 'e3b0c44298fc1c149afbf4c8996fb924' }) },
  '0.2': { status: 200, body: JSON.stringify({ status: 'failed', reason: 'address rejected by custody' }) },
  '0.3': { status: 500, body: 'boom' },
  '0.4': { status: 200, body: JSON.stringify({ status: 'paid' }) },
  '0.5': { status: 202, body: JSON.stringify({ status: 'submitted' }) },
};

let server: Server;
let h: TradingHarness;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: request.headers, body });
      const answer = ANSWERS[(JSON.parse(body) as { amount: string }).amount] ?? { status: 400, body: '' };
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  h = await startTradingHarness({ Q2_PAYOUT_WEBHOOK_URL: `http://127.0.0.1:${port}/payouts`, Q2_PAYOUT_WEBHOOK_SECRET: SECRET });
});
afterAll(async () => {
  await h?.platform.stop();
  await new Promise((resolve) => server?.close(resolve));
});

describe('payout webhook', () => {
  it('signs each payout request and records what the receiver answers; unknown answers leave the withdrawal pending (retried later: trading-payout-retry.test.ts)', async () => {
    const user = await h.user();
    await h.deposit(user, 'BTC', '2');
    expect((await h.request('POST', '/v1/withdrawals/addresses', user, { asset: 'BTC', address: ADDRESS })).status).toBe(201);
    h.clock.advance(86_400_000);
    const withdraw = async (amount: string) => (await h.request('POST', '/v1/withdrawals', user, { asset: 'BTC', amount, address: ADDRESS })).body;

    expect(await withdraw('0.1')).toMatchObject({ status: 'sent', txId: 'e3b0c44298fc1c149afbf4c8996fb924' });
    expect(await withdraw('0.2')).toMatchObject({ status: 'failed', statusReason: 'address rejected by custody' });
    expect(await withdraw('0.3')).toMatchObject({ status: 'pending' });
    expect(await withdraw('0.4')).toMatchObject({ status: 'pending' });
    expect(await withdraw('0.5')).toMatchObject({ status: 'pending' });
    // Sent 0.1, failed 0.2 (credited back), 0.3 + 0.4 + 0.5 pending: 2 − 0.1 − 1.2 = 0.7.
    expect((await h.request('GET', '/v1/balances', user)).body).toEqual([{ asset: 'BTC', total: '0.7', available: '0.7', reserved: '0' }]);

    const ids = (await h.request('GET', '/v1/withdrawals', user)).body.map((w: { withdrawalId: string }) => w.withdrawalId);
    expect(received).toHaveLength(5);
    for (const request of received) {
      const verdict = verifyWebhookSignature({ secret: SECRET, header: request.headers[SIGNATURE_HEADER] as string, body: request.body, nowMs: h.clock.now() });
      expect(verdict.ok).toBe(true);
      const body = JSON.parse(request.body) as Record<string, unknown>;
      expect(body).toMatchObject({ userId: user, asset: 'BTC', address: ADDRESS, attempt: 1 });
      expect(request.headers[WEBHOOK_ID_HEADER]).toBe(body.withdrawalId);
      expect(request.headers['idempotency-key']).toBe(body.withdrawalId);
      expect(ids).toContain(body.withdrawalId);
      // The signature covers the whole body: another withdrawal id under it does not verify.
      const forged = request.body.replace(String(body.withdrawalId), '00000000-0000-4000-8000-000000000000');
      expect(verifyWebhookSignature({ secret: SECRET, header: request.headers[SIGNATURE_HEADER] as string, body: forged, nowMs: h.clock.now() }).ok).toBe(false);
    }
  });

  it('accepts only the three known answers, each well formed', () => {
    expect(parsePayoutAnswer({ status: 'submitted' })).toEqual({ status: 'submitted' });
    expect(parsePayoutAnswer({ status: 'sent', txId: '0xabc' })).toEqual({ status: 'sent', txId: '0xabc' });
    expect(parsePayoutAnswer({ status: 'failed', reason: 'no' })).toEqual({ status: 'failed', reason: 'no' });
    for (const bad of [null, 'sent', { status: 'sent' }, { status: 'sent', txId: '<script>' }, { status: 'sent', txId: 42 }, { status: 'failed', reason: '' }, { status: 'failed', reason: 'x'.repeat(501) }, { status: 'paid' }]) {
      expect(parsePayoutAnswer(bad)).toBeNull();
    }
  });
});
