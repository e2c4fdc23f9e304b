import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from './codes.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

describe('error registry', () => {
  it.each(Object.entries(ERROR_CODES))('documents %s in docs/errors.md with its status', (code, { status }) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row, `${code} missing from docs/errors.md`).toBeDefined();
    expect(row).toContain(`| ${status} |`);
  });

  it('uses stable upper-snake codes and only 4xx/5xx statuses', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(status >= 400 && status <= 599).toBe(true);
    }
  });
});
