/**
 * Leaves this process committed itself since its last signed head. The signer may trust them
 * without recomputing their MACs (it computed them), and only MAC-checks leaves that other
 * replicas wrote. Stored as one Buffer per batch (32 bytes per entry), bounded: beyond `limit`
 * entries the oldest runs are dropped and those leaves fall back to the MAC check.
 */
export class WrittenLeaves {
  readonly #runs: { first: number; leaves: Buffer }[] = [];
  #count = 0;

  constructor(private readonly limit = 1_000_000) {}

  add(first: number, leaves: readonly Buffer[]): void {
    this.#runs.push({ first, leaves: Buffer.concat(leaves as Buffer[]) });
    this.#runs.sort((a, b) => a.first - b.first);
    this.#count += leaves.length;
    while (this.#count > this.limit && this.#runs.length > 0) this.#count -= (this.#runs.shift() as { leaves: Buffer }).leaves.length / 32;
  }

  /** The leaf this process wrote at `seq`, if it still remembers it. */
  get(seq: number): Buffer | undefined {
    let lo = 0;
    let hi = this.#runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const run = this.#runs[mid] as { first: number; leaves: Buffer };
      if (seq < run.first) hi = mid - 1;
      else if (seq >= run.first + run.leaves.length / 32) lo = mid + 1;
      else return run.leaves.subarray((seq - run.first) * 32, (seq - run.first + 1) * 32);
    }
    return undefined;
  }

  /** Forgets every leaf below `seq` (they are now covered by a signed head). */
  dropBelow(seq: number): void {
    while (this.#runs.length > 0) {
      const run = this.#runs[0] as { first: number; leaves: Buffer };
      const end = run.first + run.leaves.length / 32;
      if (end > seq) break;
      this.#runs.shift();
      this.#count -= run.leaves.length / 32;
    }
  }
}
