/**
 * RFC 6962 Merkle trees against the transparency-dev vectors, read in place from
 * ../shared/vectors/rfc6962: the 8-leaf roots and every inclusion/consistency proof (our
 * generator must produce them and our verifier accept them), then every probe (mutated proofs,
 * sizes and roots) with its expected verdict.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CompactRange, rootOfLeaves, type CompletedNode } from './compact-range.js';
import { EMPTY_ROOT, leafHash, nodeHash } from './hash.js';
import { consistencyPlan, foldSubtrees, inclusionPlan, perfectSubtrees, type LeafRange } from './proof.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

const DIR = fileURLToPath(new URL('../../../../../shared/vectors/rfc6962/', import.meta.url));
const hex = (s: string) => Buffer.from(s, 'hex');
/** Probe fields are Go values: a nil slice or byte string is JSON null. */
const b64 = (s: unknown) => Buffer.from(typeof s === 'string' ? s : '', 'base64');
const list = (v: unknown) => (Array.isArray(v) ? v.map(b64) : []);

interface EightLeaves {
  leaves: string[];
  roots: string[];
  inclusion: { leafIndex: number; treeSize: number; leafHash: string; proof: string[]; root: string }[];
  consistency: { size1: number; size2: number; root1: string; root2: string; proof: string[] }[];
}
const vectors = JSON.parse(readFileSync(join(DIR, 'proofs_8_leaves.json'), 'utf8')) as EightLeaves;
const leaves = vectors.leaves.map((l) => leafHash(hex(l)));

/** MTH of leaves[start:end] by the RFC's definition, straight recursion: the reference. */
function mth(hashes: readonly Buffer[], start: number, end: number): Buffer {
  if (end - start === 0) return EMPTY_ROOT;
  if (end - start === 1) return hashes[start] as Buffer;
  let k = 1;
  while (k * 2 < end - start) k *= 2;
  return nodeHash(mth(hashes, start, start + k), mth(hashes, start + k, end));
}
const resolve = (hashes: readonly Buffer[], plan: LeafRange[]) => plan.map((r) => mth(hashes, r.start, r.end));

describe('RFC 6962 roots (proofs_8_leaves.json)', () => {
  it('hashes the empty tree and every prefix of the 8 leaves to the published roots', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(vectors.roots[0]);
    for (let size = 0; size <= leaves.length; size++) {
      expect(rootOfLeaves(leaves.slice(0, size)).toString('hex'), `size ${size}`).toBe(vectors.roots[size]);
    }
  });

  it('restores a serialised compact range to the same root and keeps appending', () => {
    const range = CompactRange.empty();
    for (const leaf of leaves.slice(0, 5)) range.append(leaf);
    const restored = CompactRange.deserialize(5, range.serialize());
    for (const leaf of leaves.slice(5)) restored.append(leaf);
    expect(restored.root().toString('hex')).toBe(vectors.roots[8]);
    expect(() => CompactRange.deserialize(7, range.serialize())).toThrow(TypeError);
  });

  it('reports every completed perfect subtree with its level and index', () => {
    const seen: CompletedNode[] = [];
    const range = CompactRange.empty();
    for (const leaf of leaves) range.append(leaf, (node) => seen.push(node));
    expect(seen.map((n) => `${n.level}:${n.index}`)).toEqual(['1:0', '1:1', '2:0', '1:2', '1:3', '2:1', '3:0']);
    for (const n of seen) expect(n.hash.equals(mth(leaves, n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level))).toBe(true);
  });
});

describe('RFC 6962 inclusion proofs (proofs_8_leaves.json)', () => {
  it.each(vectors.inclusion)('generates and verifies inclusion #%#: leaf $leafIndex of $treeSize', (v) => {
    expect(leaves[v.leafIndex]!.toString('hex')).toBe(v.leafHash);
    const proof = resolve(leaves, inclusionPlan(v.leafIndex, v.treeSize));
    expect(proof.map((p) => p.toString('hex'))).toEqual(v.proof);
    expect(verifyInclusion(v.leafIndex, v.treeSize, hex(v.leafHash), v.proof.map(hex), hex(v.root))).toEqual({ ok: true });
  });

  it.each(vectors.inclusion.filter((v) => v.proof.length > 0))('rejects a flipped bit in the proof of leaf $leafIndex in tree $treeSize', (v) => {
    const proof = v.proof.map(hex);
    proof[0]![0]! ^= 1;
    expect(verifyInclusion(v.leafIndex, v.treeSize, hex(v.leafHash), proof, hex(v.root)).ok).toBe(false);
  });
});

describe('RFC 6962 consistency proofs (proofs_8_leaves.json)', () => {
  it.each(vectors.consistency)('generates and verifies $size1 -> $size2', (v) => {
    const proof = resolve(leaves, consistencyPlan(v.size1, v.size2));
    expect(proof.map((p) => p.toString('hex'))).toEqual(v.proof);
    expect(verifyConsistency(v.size1, v.size2, v.proof.map(hex), hex(v.root1), hex(v.root2))).toEqual({ ok: true });
  });
});

function probes(kind: 'inclusion' | 'consistency'): [string, Record<string, unknown>][] {
  const root = join(DIR, 'probes', kind);
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(root, f), 'utf8')) as Record<string, unknown>]);
}

describe('transparency-dev inclusion probes', () => {
  const all = probes('inclusion');
  it('reads the probe files', () => {
    expect(all.length).toBeGreaterThan(50);
    expect(all.some(([, p]) => p.wantErr === false)).toBe(true);
  });
  it.each(all)('%s', (_file, p) => {
    const verdict = verifyInclusion(p.leafIdx as number, p.treeSize as number, b64(p.leafHash), list(p.proof), b64(p.root));
    expect(verdict.ok).toBe(!(p.wantErr as boolean));
  });
});

describe('transparency-dev consistency probes', () => {
  const all = probes('consistency');
  it('reads the probe files', () => {
    expect(all.length).toBeGreaterThan(50);
    expect(all.some(([, p]) => p.wantErr === false)).toBe(true);
  });
  it.each(all)('%s', (_file, p) => {
    const verdict = verifyConsistency(p.size1 as number, p.size2 as number, list(p.proof),
      b64(p.root1), b64(p.root2));
    expect(verdict.ok).toBe(!(p.wantErr as boolean));
  });
});

describe('proof generation on random trees (property)', () => {
  const tree = fc.integer({ min: 1, max: 300 }).map((n) => Array.from({ length: n }, (_, i) => leafHash(`leaf ${i}`)));

  it('every inclusion proof verifies against the root, and the plan folds from perfect subtrees', () => {
    fc.assert(fc.property(tree, fc.nat(), (hashes, pick) => {
      const index = pick % hashes.length;
      const plan = inclusionPlan(index, hashes.length);
      const viaSubtrees = plan.map((r) => foldSubtrees(perfectSubtrees(r).map((s) => mth(hashes, s.index * 2 ** s.level, (s.index + 1) * 2 ** s.level))));
      expect(viaSubtrees).toEqual(resolve(hashes, plan));
      expect(verifyInclusion(index, hashes.length, hashes[index]!, viaSubtrees, rootOfLeaves(hashes)).ok).toBe(true);
      expect(verifyInclusion(index, hashes.length, leafHash('other'), viaSubtrees, rootOfLeaves(hashes)).ok).toBe(false);
    }), { numRuns: 200 });
  });

  it('every consistency proof verifies between prefixes, and not against another tree', () => {
    fc.assert(fc.property(tree, fc.nat(), (hashes, pick) => {
      const size1 = 1 + (pick % hashes.length);
      const proof = resolve(hashes, consistencyPlan(size1, hashes.length));
      const root1 = rootOfLeaves(hashes.slice(0, size1));
      expect(verifyConsistency(size1, hashes.length, proof, root1, rootOfLeaves(hashes)).ok).toBe(true);
      const forked = [...hashes];
      forked[size1 - 1] = leafHash('forked');
      expect(verifyConsistency(size1, hashes.length, proof, root1, rootOfLeaves(forked)).ok).toBe(false);
    }), { numRuns: 200 });
  });
});

describe('CompactRange.appendSubtree (parallel verification splices chunk roots)', () => {
  const leaves = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => leafHash(`leaf ${offset + i}`));

  it('gives the same root, size and completed nodes as appending the leaves one by one', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 20 }), (level, chunks, tail) => {
      const width = 2 ** level;
      const all = leaves(chunks * width + tail);
      const byLeaf = CompactRange.empty();
      const leafNodes: CompletedNode[] = [];
      for (const leaf of all) byLeaf.append(leaf, (node) => leafNodes.push(node));

      const spliced = CompactRange.empty();
      const splicedNodes: CompletedNode[] = [];
      for (let k = 0; k < chunks; k++) {
        const chunk = all.slice(k * width, (k + 1) * width);
        const local = CompactRange.empty();
        for (const leaf of chunk) local.append(leaf, (node) => splicedNodes.push({ ...node, index: node.index + (k * width) / 2 ** node.level }));
        spliced.appendSubtree(local.root(), level, (node) => splicedNodes.push(node));
      }
      // A partial chunk (fewer than `width` leaves) after the aligned prefix splices like its leaves.
      const partialLeaves = all.slice(chunks * width, chunks * width + (tail % width));
      const partial = CompactRange.empty();
      for (const leaf of partialLeaves) partial.append(leaf);
      expect(CompactRange.rootOfSpliced(spliced.hashes(), partial.hashes()).equals(rootOfLeaves(all.slice(0, chunks * width + partialLeaves.length)))).toBe(true);
      for (const leaf of all.slice(chunks * width)) spliced.append(leaf, (node) => splicedNodes.push(node));
      expect(spliced.size).toBe(byLeaf.size);
      expect(spliced.root().equals(byLeaf.root())).toBe(true);
      const key = (n: CompletedNode) => `${n.level}/${n.index}/${n.hash.toString('hex')}`;
      expect(splicedNodes.map(key).sort()).toEqual(leafNodes.map(key).sort());
    }), { numRuns: 200 });
  });

  it('refuses a subtree that would not start at a multiple of its width', () => {
    const range = CompactRange.empty();
    range.append(leafHash('one'));
    expect(() => range.appendSubtree(leafHash('x'), 1)).toThrow(RangeError);
    expect(() => range.appendSubtree(leafHash('x'), -1)).toThrow(RangeError);
    range.appendSubtree(leafHash('x'), 0);
    expect(range.size).toBe(2);
  });
});
