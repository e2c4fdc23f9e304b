/**
 * Test support: reads the shared Wycheproof vectors in place from `../shared/vectors` beside the
 * repository (never copied into it). Not imported by production code.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
export const VECTORS_DIR = resolve(REPO_ROOT, '../shared/vectors');

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface WycheproofTest {
  tcId: number;
  comment?: string;
  flags?: string[];
  result: WycheproofResult;
  [field: string]: unknown;
}

export interface WycheproofGroup {
  tests: WycheproofTest[];
  [field: string]: unknown;
}

export interface WycheproofFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

export function readVectors<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(resolve(VECTORS_DIR, relativePath), 'utf8')) as T;
}

export function wycheproof(name: string): WycheproofFile {
  return readVectors<WycheproofFile>(`wycheproof/${name}`);
}

/** Hex field of a test or group as bytes. */
export function hex(value: unknown): Buffer {
  if (typeof value !== 'string') throw new TypeError('expected a hex string');
  return Buffer.from(value, 'hex');
}

/** Every (group, test) pair, for counting and `it.each`. */
export function allTests(file: WycheproofFile): { group: WycheproofGroup; test: WycheproofTest }[] {
  return file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));
}
