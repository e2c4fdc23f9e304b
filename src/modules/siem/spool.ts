/**
 * On-disk spool for messages the collector could not take: one JSON string per line in
 * `<dir>/spool.jsonl` (JSON so a message can never break the line structure), mode 0600.
 * Appends are fsync'd before they count as spooled, so a crash after spooling loses nothing.
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export interface Spool {
  append(messages: readonly string[]): Promise<void>;
  readAll(): Promise<string[]>;
  /** Replaces the spool with `remaining` (empty removes it). */
  replace(remaining: readonly string[]): Promise<void>;
  size(): Promise<number>;
}

export function createSpool(dir: string): Spool {
  const file = path.join(dir, 'spool.jsonl');
  const ready = mkdir(dir, { recursive: true, mode: 0o700 });

  async function writeDurably(target: string, flags: 'a' | 'w', messages: readonly string[]): Promise<void> {
    await ready;
    const handle = await open(target, flags, 0o600);
    try {
      // The leading newline seals off a torn tail left by a crash, so it cannot swallow this record.
      if (messages.length > 0) await handle.write(`\n${messages.map((m) => `${JSON.stringify(m)}\n`).join('')}`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  return {
    append: (messages) => writeDurably(file, 'a', messages),
    async readAll() {
      await ready;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const out: string[] = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        // A torn last line (crash mid-append, before fsync returned) was never acknowledged as spooled.
        try {
          const value: unknown = JSON.parse(line);
          if (typeof value === 'string') out.push(value);
        } catch { /* torn tail: see above */ }
      }
      return out;
    },
    async replace(remaining) {
      if (remaining.length === 0) {
        await rm(file, { force: true });
        return;
      }
      // Write-then-rename so a crash leaves either the old or the new spool, never half of one.
      const tmp = `${file}.tmp`;
      await writeDurably(tmp, 'w', remaining);
      await rename(tmp, file);
    },
    async size() {
      try {
        return (await stat(file)).size;
      } catch {
        return 0;
      }
    },
  };
}
