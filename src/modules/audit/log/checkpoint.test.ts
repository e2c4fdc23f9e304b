/**
 * Signed tree heads as C2SP checkpoints in a signed note: exact text layout, the signed-note key
 * hash, parse/print round trip, and rejection of any change or of another key.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { checkpointBody, checkpointNote, defaultOrigin, keyId, parseCheckpointNote, rawPublicKey, signTreeHead, verifyTreeHead } from './checkpoint.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const origin = defaultOrigin(publicKey);
const head = signTreeHead({ treeSize: 1234, rootHash: Buffer.alloc(32, 7), timestamp: 1_767_225_600_000 }, origin, privateKey);

describe('checkpoints', () => {
  it('write the C2SP body: origin, size, base64 root, then extension lines', () => {
    expect(checkpointBody(origin, head)).toBe(`${origin}\n1234\n${Buffer.alloc(32, 7).toString('base64')}\ntimestamp 1767225600000\n`);
    expect(origin).toMatch(/^q2-audit\/[0-9a-f]{16}$/);
  });

  it('use the signed-note key hash SHA-256(name ‖ "\\n" ‖ 0x01 ‖ key)[:4]', () => {
    const expected = createHash('sha256').update(`${origin}\n`).update(Buffer.from([1])).update(rawPublicKey(publicKey)).digest().subarray(0, 4).toString('hex');
    expect(head.keyId).toBe(expected);
    expect(keyId(origin, privateKey)).toBe(expected);
  });

  it('print as a signed note that parses back to the same head', () => {
    const note = checkpointNote(head);
    const [, signatureLine] = note.split('\n\n') as [string, string];
    expect(signatureLine.startsWith(`\u2014 ${origin} `)).toBe(true);
    expect(signatureLine.slice(`\u2014 ${origin} `.length)).toMatch(/^[A-Za-z0-9+/]{91}=\n$/);
    expect(parseCheckpointNote(note)).toEqual(head);
    expect(parseCheckpointNote(note.replace('\u2014', '-'))).toBeNull();
    expect(parseCheckpointNote('not a note')).toBeNull();
  });

  it('verify with the right key and reject any change or another key', () => {
    expect(verifyTreeHead(head, publicKey)).toEqual({ ok: true });
    expect(verifyTreeHead({ ...head, treeSize: 1235 }, publicKey).ok).toBe(false);
    expect(verifyTreeHead({ ...head, rootHash: randomBytes(32) }, publicKey).ok).toBe(false);
    expect(verifyTreeHead({ ...head, timestamp: head.timestamp + 1 }, publicKey).ok).toBe(false);
    expect(verifyTreeHead({ ...head, origin: `${origin}x` }, publicKey).ok).toBe(false);
    expect(verifyTreeHead(head, generateKeyPairSync('ed25519').publicKey)).toEqual({ ok: false, reason: 'signed by another key' });
    expect(verifyTreeHead({ ...head, signature: head.signature.subarray(1) }, publicKey).ok).toBe(false);
  });

  it('refuse a multi-line origin and a non-Ed25519 key', () => {
    expect(() => signTreeHead(head, 'a\nb', privateKey)).toThrow(TypeError);
    expect(() => rawPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toThrow(TypeError);
  });
});
