#!/usr/bin/env node
// Security scanning for CI (npm run scan), offline-capable:
//  1. secrets: tracked files must not contain private keys or cloud credentials;
//  2. supply chain: every locked package has a sha512 integrity hash and comes from the npm
//     registry; only allow-listed packages may run install scripts;
//  3. advisories: `npm audit` for production dependencies when the advisory service answers
//     (this environment's registry mirror does not serve it; that is reported, not hidden).
// Static analysis (eslint-plugin-security) runs in `npm run lint`; deployment policy in
// deploy/deploy-policy.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const problems = [];
const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
const SECRET = /-----BEGIN (?:RSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY-----|AKIA[0-9A-Z]{16}|xox[baprs]-[0-9A-Za-z-]{10,}|ghp_[0-9A-Za-z]{36}/;
for (const file of files) {
  if (file === 'package-lock.json' || file.startsWith('scripts/security-scan')) continue;
  let text;
  try { text = readFileSync(file, 'utf8'); } catch { continue; }
  if (SECRET.test(text)) problems.push(`secret-like material in ${file}`);
}

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const allowed = new Set(Object.keys(pkg.allowScripts ?? {}).filter((k) => pkg.allowScripts[k]));
let locked = 0;
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '' || entry.link) continue;
  locked++;
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  if (!entry.integrity?.startsWith('sha512-')) problems.push(`${name}: no sha512 integrity in package-lock.json`);
  if (entry.resolved && !entry.resolved.startsWith('https://registry.npmjs.org/')) problems.push(`${name}: resolved outside the npm registry (${entry.resolved})`);
  if (entry.hasInstallScript && !allowed.has(name) && !entry.dev) problems.push(`${name}: runs install scripts but is not in allowScripts`);
}

let audit = 'not run';
try {
  execFileSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  audit = 'no high or critical advisories';
} catch (error) {
  const out = String(error.stdout ?? '');
  if (/"vulnerabilities"/.test(out) && !/audit endpoint returned an error/.test(String(error.stderr))) {
    const report = JSON.parse(out);
    const high = Object.values(report.vulnerabilities ?? {}).filter((v) => v.severity === 'high' || v.severity === 'critical');
    for (const v of high) problems.push(`advisory: ${v.name} (${v.severity})`);
    audit = `${high.length} high/critical advisories`;
  } else {
    audit = 'advisory service unreachable from this network (skipped, not passed)';
  }
}

console.log(`security scan: ${files.length} tracked files, ${locked} locked packages; npm audit: ${audit}`);
for (const p of problems) console.error(`  ✗ ${p}`);
process.exitCode = problems.length > 0 ? 1 : 0;
