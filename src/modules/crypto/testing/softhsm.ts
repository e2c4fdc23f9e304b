/**
 * Test support: a SoftHSM2 token in a temporary directory with its own SOFTHSM2_CONF.
 *
 * The PKCS#11 library reads SOFTHSM2_CONF when it is initialised and sees only tokens that
 * existed then, so call this in `beforeAll`, before any provider opens. The library path comes
 * from Q2_TEST_PKCS11_LIB (default /usr/lib/softhsm/libsofthsm2.so outside CI); with CI=true and
 * the variable unset this THROWS, so the suite fails instead of silently testing less.
 * Not imported by production code.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DEFAULT_PKCS11_LIB = '/usr/lib/softhsm/libsofthsm2.so';

export function pkcs11TestLib(env: NodeJS.ProcessEnv = process.env): string {
  const lib = env.Q2_TEST_PKCS11_LIB;
  if (lib !== undefined && lib !== '') return lib;
  if (env.CI === 'true') throw new Error('Q2_TEST_PKCS11_LIB must be set when CI=true: the PKCS#11 suite may not be skipped in CI');
  return DEFAULT_PKCS11_LIB;
}

export interface SoftHsmToken {
  readonly lib: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly soPin: string;
  readonly confPath: string;
  /** A KEK label prefix unique to one test, so tests sharing the token do not see each other's KEKs. */
  uniquePrefix(): string;
  cleanup(): Promise<void>;
}

let shared: Promise<{ dir: string; confPath: string }> | undefined;

/** One config and token directory per process (the library reads the config only once). */
function sharedConfig(): Promise<{ dir: string; confPath: string }> {
  shared ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'q2-softhsm-'));
    await mkdir(join(dir, 'tokens'), { mode: 0o700 });
    const confPath = join(dir, 'softhsm2.conf');
    await writeFile(confPath, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
    process.env.SOFTHSM2_CONF = confPath;
    return { dir, confPath };
  })();
  return shared;
}

export async function createSoftHsmToken(): Promise<SoftHsmToken> {
  const lib = pkcs11TestLib();
  const { dir, confPath } = await sharedConfig();
  const tokenLabel = `q2-test-${randomBytes(4).toString('hex')}`;
  const pin = '1234';
  const soPin = '5678';
  await run('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', soPin], {
    env: { ...process.env, SOFTHSM2_CONF: confPath },
  });
  return {
    lib,
    tokenLabel,
    pin,
    soPin,
    confPath,
    uniquePrefix: () => `q2-kek-${randomBytes(3).toString('hex')}`,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
