/**
 * `npm run bench [section]`: every benchmark, printed as the markdown that goes into
 * docs/BENCHMARKS.md. Each benchmark compares against a baseline measured in the same run.
 * Sections: http, identity, mfa, crypto, network, trading, audit, signing, marketdata, siem, detection.
 */
import os from 'node:os';
import { benchAudit } from './audit.js';
import { benchCrypto } from './crypto.js';
import { benchDetection } from './detection.js';
import { benchHttp } from './http.js';
import { benchIdentity } from './identity.js';
import { benchMarketData } from './marketdata.js';
import { benchMfa } from './mfa.js';
import { benchNetwork } from './network.js';
import { benchSiem } from './siem.js';
import { benchSigning } from './signing.js';
import { benchTrading } from './trading.js';

const SECTIONS: readonly [string, () => Promise<string>][] = [
  ['http', benchHttp], ['identity', benchIdentity], ['mfa', benchMfa], ['crypto', benchCrypto],
  ['network', benchNetwork], ['trading', benchTrading], ['audit', benchAudit], ['signing', benchSigning],
  ['marketdata', benchMarketData], ['siem', benchSiem], ['detection', benchDetection],
];

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only && !SECTIONS.some(([name]) => name === only)) {
    process.stderr.write(`unknown section "${only}"; one of ${SECTIONS.map(([n]) => n).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.\n\n`);
  for (const [name, run] of SECTIONS) {
    if (only && only !== name) continue;
    process.stdout.write(`${await run()}\n`);
  }
}

void main();
