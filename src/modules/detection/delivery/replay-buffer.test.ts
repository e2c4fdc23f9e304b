import { describe, expect, it } from 'vitest';

import { createReplayBuffer } from './replay-buffer.js';

const event = (id: string) => ({ id, type: 'alert.raised', data: { id } });

describe('replay buffer', () => {
  it('returns what followed an id, oldest first, and nothing after the newest', () => {
    const buffer = createReplayBuffer(10);
    for (const id of ['a', 'b', 'c']) buffer.push(event(id));
    expect(buffer.after('a')!.map((e) => e.id)).toEqual(['b', 'c']);
    expect(buffer.after('c')).toEqual([]);
  });

  it('keeps only the last `limit` events and answers null for an evicted or unknown id', () => {
    const buffer = createReplayBuffer(2);
    for (const id of ['a', 'b', 'c']) buffer.push(event(id));
    expect(buffer.after('a')).toBeNull();
    expect(buffer.after('zzz')).toBeNull();
    expect(buffer.after('b')!.map((e) => e.id)).toEqual(['c']);
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => createReplayBuffer(limit)).toThrow(TypeError);
  });
});
