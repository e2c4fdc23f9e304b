/**
 * Signed-request verification benchmark (docs/BENCHMARKS.md, "Signed requests (API keys)"): RFC
 * 9421 verifications per second on one core through `inspectSignature` + `verifySignature`,
 * against the bare primitive on the same bytes — libsodium's Ed25519 verification (what the
 * server uses, ed25519-verify.ts) and OpenSSL's (node:crypto) for comparison; HMAC-SHA256 by
 * node:crypto. Signed requests end to end over HTTPS, orders included, are measured by
 * `bench/trading-e2e.ts` ("Trading core").
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { signRequest } from '../src/client/index.js';
import {
  inspectSignature, q2SignaturePolicy, signingKeyFrom, splitTarget, verifySignature, verifyingKeyFrom, type HttpRequestMessage,
} from '../src/modules/signing/index.js';
import { rawEd25519PublicKey, verifyEd25519 } from '../src/modules/signing/ed25519-verify.js';

async function opsPerSecond(fn: () => unknown, ms = 1_500): Promise<number> {
  for (let i = 0; i < 2_000; i++) fn();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
  }
  return n / ((performance.now() - start) / 1000);
}

async function verificationRates(): Promise<string[]> {
  const created = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ clientOrderId: 'c-1', symbol: 'BTC-USD', side: 'buy', type: 'limit', quantity: '0.0010', price: '40000.00', timeInForce: 'GTC' }));
  const url = new URL('https://api.q2.test/v1/orders');
  const rows: string[] = [
    '| algorithm | primitive verify/s (the one Q2 uses) | node:crypto (OpenSSL) verify/s | Q2 inspect + verify/s (parse, policy, digest, base, verify) | vs primitive |',
    '|---|---:|---:|---:|---:|',
  ];
  const secret = randomBytes(32);
  const pair = generateKeyPairSync('ed25519');
  for (const algorithm of ['ed25519', 'hmac-sha256'] as const) {
    const signing = algorithm === 'ed25519' ? signingKeyFrom(algorithm, pair.privateKey) : signingKeyFrom(algorithm, secret);
    const verifying = algorithm === 'ed25519' ? verifyingKeyFrom(algorithm, pair.publicKey.export({ format: 'pem', type: 'spki' })) : verifyingKeyFrom(algorithm, secret);
    const headers = signRequest({ method: 'POST', url, body, keyId: 'k', key: signing, created });
    const message: HttpRequestMessage = { method: 'POST', scheme: 'https', authority: url.host, ...splitTarget(url.pathname), fields: { ...headers }, hasBody: true, body };
    const policy = q2SignaturePolicy();
    const ours = await opsPerSecond(() => {
      const inspection = inspectSignature(message, policy, created * 1000);
      if (!inspection.ok || !verifySignature(inspection.signature, verifying).ok) throw new Error('bench signature must verify');
    });
    const data = Buffer.from('x'.repeat(300));
    const tag = algorithm === 'ed25519' ? sign(null, data, pair.privateKey) : createHmac('sha256', secret).update(data).digest();
    const rawKey = rawEd25519PublicKey(pair.publicKey);
    const openssl = await opsPerSecond(() => (algorithm === 'ed25519' ? verify(null, data, pair.publicKey, tag) : createHmac('sha256', secret).update(data).digest().equals(tag)));
    const primitive = algorithm === 'ed25519' ? await opsPerSecond(() => verifyEd25519(rawKey, data, tag)) : openssl;
    const name = algorithm === 'ed25519' ? 'ed25519 (libsodium)' : 'hmac-sha256 (node:crypto)';
    rows.push(`| ${name} | ${Math.round(primitive)} | ${Math.round(openssl)} | ${Math.round(ours)} | ${((ours / primitive) * 100).toFixed(1)}% |`);
  }
  return rows;
}


export async function benchSigning(): Promise<string> {
  return [
    '## Signed requests (API keys)',
    '',
    'Command: `npm run bench signing` (or `npm run build && node dist/bench/signing.js`; source `bench/signing.ts`).',
    '',
    '### RFC 9421 verification (one core)',
    '',
    ...await verificationRates(),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchSigning().then((md) => process.stdout.write(`${md}\n`), (e: unknown) => { console.error(e); process.exitCode = 1; });
}
