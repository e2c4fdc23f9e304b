/**
 * Q2_NETWORK_POLICY_FILE: a JSON file of network-policy overrides (route-class limits, adaptive
 * bounds, recidive ban durations, shedding thresholds, connection caps; docs/network.md),
 * merged onto the defaults and validated at boot like every other variable, so a bad policy
 * stops the start with one line naming the variable and the setting. The schema and its
 * validation belong to the network module (`resolveNetworkConfig`, pure); this reads the file.
 */
import { readFileSync } from 'node:fs';
import { resolveNetworkConfig, type NetworkConfigOverrides } from '../../modules/network/config.js';
import { ConfigError } from './parse.js';
import type { NetworkPolicyConfig } from './types.js';

/** Policy files are small; anything larger is a wrong path (a log, a dump), not a policy. */
const MAX_POLICY_BYTES = 64 * 1024;

export function loadNetworkPolicy(variable: string, file: string | undefined): NetworkPolicyConfig {
  if (file === undefined) return { policy: resolveNetworkConfig() };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(variable, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw new ConfigError(variable, `${file} is larger than ${MAX_POLICY_BYTES} bytes`);
  let overrides: unknown;
  try {
    overrides = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(variable, `${file} is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new ConfigError(variable, `${file} must hold a JSON object`);
  }
  try {
    return { policyFile: file, policy: resolveNetworkConfig(overrides as NetworkConfigOverrides) };
  } catch (error) {
    if (error instanceof TypeError) throw new ConfigError(variable, `${file}: ${error.message}`);
    throw error;
  }
}
