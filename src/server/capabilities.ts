/**
 * The list of capabilities the server runs, in dependency order. Each capability module exports
 * a factory taking the PlatformCore (and, where needed, capabilities created before it).
 */
import type { Capability, PlatformCore } from './capability.js';

export async function createCapabilities(_core: PlatformCore): Promise<Capability[]> {
  return [];
}
