/** Starts a real platform (SQLite in a temp dir, in-process state unless told otherwise) for tests. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/lib/config/index.js';
import { createLogger } from '../../src/lib/log/index.js';
import { createPlatform, type Platform, type PlatformOptions } from '../../src/server/platform.js';

export interface TestPlatform extends Platform {
  dataDir: string;
  /** Base URL once `listen()` was called. */
  url: string;
  listen(port?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * One shared-state prefix per test file (module instance): platforms of one file share state as
 * replicas do; other files and earlier runs never see it.
 */
const STATE_PREFIX = `q2test:${randomBytes(6).toString('hex')}:`;

export async function startTestPlatform(
  env: Record<string, string> = {},
  options: Omit<PlatformOptions, 'logger'> = {},
): Promise<TestPlatform> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'q2-test-'));
  const config = loadConfig({ Q2_DATA_DIR: dataDir, Q2_PORT: '8443', ...env }, dataDir);
  const platform = await createPlatform(config, {
    logger: createLogger(process.env.Q2_TEST_LOG_LEVEL ?? 'silent'),
    collectProcessMetrics: false,
    statePrefix: STATE_PREFIX,
    // The test machine's own CPU load must not shed test requests; shedding is tested with an
    // injected load signal in test/e2e/network-shedding.test.ts.
    ...options,
    capabilities: {
      ...options.capabilities,
      network: { loadSample: () => ({ eventLoopDelayMs: 0, heapUsedRatio: 0 }), ...options.capabilities?.network },
    },
  });
  const result: TestPlatform = {
    ...platform,
    dataDir,
    url: '',
    async listen(requestedPort = 0) {
      await platform.app.listen({ host: '127.0.0.1', port: requestedPort });
      const { port } = platform.app.server.address() as AddressInfo;
      result.url = `${options.insecureHttp ? 'http' : 'https'}://127.0.0.1:${port}`;
      return result.url;
    },
    async stop() {
      await platform.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return result;
}
