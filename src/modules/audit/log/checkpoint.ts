/**
 * Signed tree heads as C2SP checkpoints (https://c2sp.org/tlog-checkpoint) in a C2SP signed note
 * (https://c2sp.org/signed-note) with an Ed25519 signature — the format Trillian Tessera and the
 * Go sumdb tooling read, so a third party can check our heads with standard tools:
 *
 *   <origin>\n<tree size>\n<base64 root hash>\ntimestamp <unix ms>\n      ← the signed body
 *   \n
 *   — <origin> <base64(key hash[4] ‖ Ed25519 signature[64])>\n
 *
 * key hash = first 4 bytes of SHA-256(origin ‖ "\n" ‖ 0x01 ‖ raw 32-byte public key).
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export interface TreeHead {
  treeSize: number;
  rootHash: Buffer;
  /** Unix ms when the head was signed. */
  timestamp: number;
}

export interface SignedTreeHead extends TreeHead {
  origin: string;
  /** Hex of the 4-byte signed-note key hash. */
  keyId: string;
  signature: Buffer;
}

export type CheckpointVerdict = { ok: true } | { ok: false; reason: string };

const ED25519_ALG = 0x01;

/** The raw 32-byte Ed25519 public key of a public or private KeyObject. */
export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError('audit tree heads are signed with Ed25519 keys');
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}

/** The log's default origin: stable for a key, distinct between keys. */
export function defaultOrigin(key: KeyObject): string {
  return `q2-audit/${createHash('sha256').update(rawPublicKey(key)).digest('hex').slice(0, 16)}`;
}

export function keyId(origin: string, key: KeyObject): string {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${origin}\n`, 'utf8'), Buffer.from([ED25519_ALG]), rawPublicKey(key)]))
    .digest()
    .subarray(0, 4)
    .toString('hex');
}

/** The signed body. */
export function checkpointBody(origin: string, head: TreeHead): string {
  return `${origin}\n${head.treeSize}\n${head.rootHash.toString('base64')}\ntimestamp ${head.timestamp}\n`;
}

/** The whole signed note, as published in exports and API answers. */
export function checkpointNote(head: SignedTreeHead): string {
  const signature = Buffer.concat([Buffer.from(head.keyId, 'hex'), head.signature]).toString('base64');
  return `${checkpointBody(head.origin, head)}\n\u2014 ${head.origin} ${signature}\n`;
}

export function signTreeHead(head: TreeHead, origin: string, privateKey: KeyObject): SignedTreeHead {
  if (/\n/.test(origin) || origin.length === 0) throw new TypeError('checkpoint origin must be one non-empty line');
  const signature = sign(null, Buffer.from(checkpointBody(origin, head), 'utf8'), privateKey);
  return { ...head, origin, keyId: keyId(origin, privateKey), signature };
}

/** Checks the signature and key binding of a stored or received head. */
export function verifyTreeHead(head: SignedTreeHead, publicKey: KeyObject): CheckpointVerdict {
  if (head.rootHash.length !== 32) return { ok: false, reason: 'root hash is not 32 bytes' };
  if (head.signature.length !== 64) return { ok: false, reason: 'signature is not 64 bytes' };
  if (head.keyId !== keyId(head.origin, publicKey)) return { ok: false, reason: 'signed by another key' };
  const body = Buffer.from(checkpointBody(head.origin, head), 'utf8');
  return verify(null, body, publicKey, head.signature) ? { ok: true } : { ok: false, reason: 'bad signature' };
}

/**
 * Parses a signed note as written by `checkpointNote` (e.g. an export header's `checkpoint`), or
 * null when it is not one. Parsing does not check the signature: `verifyTreeHead` does.
 */
export function parseCheckpointNote(text: string): SignedTreeHead | null {
  const match = /^([^\n]+)\n([0-9]{1,16})\n([A-Za-z0-9+/]{43}=)\ntimestamp ([0-9]{1,16})\n\n\u2014 ([^\s]+) ([A-Za-z0-9+/]+={0,2})\n$/.exec(text);
  if (!match) return null;
  const [, origin, size, root, timestamp, keyName, signature] = match as unknown as [string, string, string, string, string, string, string];
  const sig = Buffer.from(signature, 'base64');
  if (keyName !== origin || sig.length !== 68) return null;
  return {
    origin,
    treeSize: Number(size),
    rootHash: Buffer.from(root, 'base64'),
    timestamp: Number(timestamp),
    keyId: sig.subarray(0, 4).toString('hex'),
    signature: sig.subarray(4),
  };
}
