/** Group commit: batching under load, settling only after the write, failures to the whole batch. */
import { describe, expect, it } from 'vitest';

import { createGroupCommit } from './group-commit.js';

describe('createGroupCommit', () => {
  it('writes what was submitted in one turn as one batch, and the next load as the next batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gc = createGroupCommit<number, number>(async (batch) => {
      batches.push([...batch]);
      if (batches.length === 1) await new Promise<void>((resolve) => { release = resolve; });
      return batch.map((n) => n * 10);
    }, { maxBatch: 100 });
    const first = [1, 2, 3].map((n) => gc.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [4, 5].map((n) => gc.submit(n)); // queued while the first batch is being written
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('resolves nobody before the write finished', async () => {
    let finish: () => void = () => undefined;
    let settled = false;
    const gc = createGroupCommit<string, string>(async (batch) => {
      await new Promise<void>((resolve) => { finish = resolve; });
      return batch;
    }, { maxBatch: 10 });
    const pending = gc.submit('a').then((r) => { settled = true; return r; });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    finish();
    expect(await pending).toBe('a');
  });

  it('splits at maxBatch', async () => {
    const sizes: number[] = [];
    const gc = createGroupCommit<number, number>(async (batch) => {
      sizes.push(batch.length);
      return batch;
    }, { maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('rejects every item of a failed batch and keeps serving later ones', async () => {
    let fail = true;
    const gc = createGroupCommit<number, number>(async (batch) => {
      if (fail) {
        fail = false;
        throw new Error('commit failed');
      }
      return batch;
    }, { maxBatch: 10 });
    const failed = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(gc.submit(3)).resolves.toBe(3);
  });

  it('rejects a writer that returns the wrong number of results', async () => {
    const gc = createGroupCommit<number, number>(async () => [], { maxBatch: 10 });
    await expect(gc.submit(1)).rejects.toThrow(/results/);
  });

  it('drains: resolves once nothing is queued or being written', async () => {
    let done = 0;
    const gc = createGroupCommit<number, number>(async (batch) => {
      await new Promise((resolve) => setImmediate(resolve));
      done += batch.length;
      return batch;
    }, { maxBatch: 2 });
    for (let i = 0; i < 5; i++) void gc.submit(i);
    await gc.drain();
    expect(done).toBe(5);
    expect(gc.pending).toBe(0);
  });
});
