import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { ConfigError } from './parse.js';

const dir = mkdtempSync(path.join(tmpdir(), 'q2-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function policyFile(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function failure(file: string): ConfigError {
  try {
    loadConfig({ Q2_NETWORK_POLICY_FILE: file }, dir);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Q2_NETWORK_POLICY_FILE', () => {
  it('defaults to the built-in policy when unset', () => {
    const config = loadConfig({}, dir);
    expect(config.network.policyFile).toBeUndefined();
    expect(config.network.policy.classes.auth.perIp).toEqual({ limit: 60, windowMs: 60_000 });
  });

  it('merges every kind of knob onto the defaults (limits, adaptive bounds, bans, shedding, connections)', () => {
    const file = policyFile('good.json', JSON.stringify({
      classes: { auth: { perIp: { limit: 30, windowMs: 60_000 } }, read: { perApiKey: null } },
      adaptive: { minFactor: 0.2, maxFactor: 1.2 },
      recidive: { maxOffences: 5, banBaseMs: 300_000, banMaxMs: 86_400_000 },
      shedding: { delayStartMs: 150, delayFullMs: 800 },
      connections: { maxPerIp: 16 },
    }));
    const { network } = loadConfig({ Q2_NETWORK_POLICY_FILE: path.basename(file) }, dir);
    expect(network.policyFile).toBe(file);
    expect(network.policy.classes.auth.perIp).toEqual({ limit: 30, windowMs: 60_000 });
    expect(network.policy.classes.read.perApiKey).toBeNull();
    expect(network.policy.classes.read.perIp).toEqual({ limit: 2400, windowMs: 60_000 });
    expect(network.policy.adaptive).toMatchObject({ minFactor: 0.2, maxFactor: 1.2, halfLifeMs: 900_000 });
    expect(network.policy.recidive).toMatchObject({ maxOffences: 5, banBaseMs: 300_000, banMaxMs: 86_400_000, banFactor: 4 });
    expect(network.policy.shedding).toMatchObject({ delayStartMs: 150, delayFullMs: 800 });
    expect(network.policy.connections.maxPerIp).toBe(16);
    expect(Object.isFrozen(network.policy.classes.auth.perIp)).toBe(true);
  });

  it.each([
    ['a missing file', () => path.join(dir, 'absent.json'), /cannot read .*ENOENT/],
    ['invalid JSON', () => policyFile('bad.json', '{ "classes": '), /not valid JSON/],
    ['a JSON array', () => policyFile('array.json', '[]'), /must hold a JSON object/],
    ['a misspelt setting', () => policyFile('typo.json', '{"classes":{"auth":{"perIP":{"limit":1,"windowMs":1000}}}}'), /unknown setting classes\.auth\.perIP/],
    ['an unknown route class', () => policyFile('class.json', '{"classes":{"bulk":{}}}'), /unknown setting classes\.bulk/],
    ['a zero limit', () => policyFile('zero.json', '{"classes":{"auth":{"perIp":{"limit":0,"windowMs":1000}}}}'), /classes\.auth\.perIp/],
    ['a limit given as a string', () => policyFile('string.json', '{"connections":{"maxPerIp":"64"}}'), /connections\.maxPerIp must be a number/],
    ['inverted shedding thresholds', () => policyFile('shed.json', '{"shedding":{"delayStartMs":900,"delayFullMs":100}}'), /shedding delay thresholds/],
    ['a ban ceiling under its base', () => policyFile('ban.json', '{"recidive":{"banMaxMs":1000}}'), /recidive ban durations/],
    ['adaptive bounds that exclude 1', () => policyFile('adaptive.json', '{"adaptive":{"minFactor":1.5}}'), /adaptive factor bounds/],
  ])('refuses %s with one line naming the variable', (_name, make, message) => {
    const error = failure(make());
    expect(error.variable).toBe('Q2_NETWORK_POLICY_FILE');
    expect(error.message).toMatch(/^Q2_NETWORK_POLICY_FILE: /);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });
});
