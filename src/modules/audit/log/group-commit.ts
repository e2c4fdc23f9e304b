/**
 * Group commit: callers queue items and each gets a promise; one writer at a time takes
 * everything queued (up to `maxBatch`) and writes it in one durable transaction, then settles all
 * of those promises together — resolved only after COMMIT returned, rejected if it failed. While
 * a batch is being written the next one accumulates, so the batch size grows with the load and
 * the cost of the disk sync is shared by every item in it. The first item after an idle period
 * waits for `setImmediate`, so items submitted in the same event-loop turn share a batch.
 */
export interface GroupCommit<T, R> {
  submit(item: T): Promise<R>;
  /** Resolves when the queue is empty and no batch is in flight. */
  drain(): Promise<void>;
  readonly pending: number;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export function createGroupCommit<T, R>(
  write: (batch: readonly T[]) => Promise<readonly R[]>,
  options: { maxBatch: number; onBatch?: (size: number, ms: number) => void },
): GroupCommit<T, R> {
  if (!Number.isSafeInteger(options.maxBatch) || options.maxBatch < 1) throw new TypeError('maxBatch must be a positive integer');
  const queue: Waiting<T, R>[] = [];
  let running: Promise<void> | null = null;
  let scheduled = false;

  async function run(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      const started = performance.now();
      try {
        const results = await write(batch.map((w) => w.item));
        if (results.length !== batch.length) throw new Error(`batch writer returned ${results.length} results for ${batch.length} items`);
        batch.forEach((w, i) => w.resolve(results[i] as R));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
      options.onBatch?.(batch.length, performance.now() - started);
    }
  }

  function schedule(): void {
    if (running !== null || scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      running = run().finally(() => {
        running = null;
        // Items queued after the loop's last check (none can be: it runs until empty) or by a
        // settle callback are picked up here.
        if (queue.length > 0) schedule();
      });
    });
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    async drain() {
      while (running !== null || scheduled || queue.length > 0) {
        if (running !== null) await running;
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    get pending() {
      return queue.length;
    },
  };
}
