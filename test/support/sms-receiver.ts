/**
 * Test support: a local HTTP "SMS provider" that checks each request's X-Q2-Signature with the
 * project's verifier against the raw body and records what it got.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SIGNATURE_HEADER, WEBHOOK_ID_HEADER, verifyWebhookSignature, type WebhookSignatureVerdict } from '../../src/lib/notify/index.js';

export interface ReceivedSms {
  verdict: WebhookSignatureVerdict;
  webhookId: string | undefined;
  body: string;
  json: { id: string; to: string; text: string; purpose: string; createdAt: number };
}

export interface SmsReceiver {
  url: string;
  received: ReceivedSms[];
  /** Status the receiver answers with (default 202). */
  status: number;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) => new Promise<string>((resolve, reject) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  req.on('error', reject);
});

export async function startSmsReceiver(secret: string, now: () => number): Promise<SmsReceiver> {
  const receiver: SmsReceiver = { url: '', received: [], status: 202, close: async () => undefined };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const header = req.headers[SIGNATURE_HEADER];
    const verdict = verifyWebhookSignature({ secret, header: Array.isArray(header) ? header[0] : header, body, nowMs: now() });
    const webhookId = req.headers[WEBHOOK_ID_HEADER];
    receiver.received.push({ verdict, webhookId: Array.isArray(webhookId) ? webhookId[0] : webhookId, body, json: JSON.parse(body) as ReceivedSms['json'] });
    res.statusCode = verdict.ok ? receiver.status : 401;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}
