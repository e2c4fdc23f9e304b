/**
 * Threat: losing security events while the SIEM collector is down (silent gaps an attacker can
 * time an attack into). Lines are spooled durably, replayed in order, and survive a restart.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createSiemExporter } from './exporter.js';
import { createSpool } from './spool.js';
import type { SyslogTransport } from './transport.js';

function fakeCollector() {
  const received: string[] = [];
  const state = { up: true, failAfter: Infinity };
  const transport: SyslogTransport = {
    protocol: 'tcp',
    send(message) {
      if (!state.up || received.length >= state.failAfter) return Promise.reject(new Error('ECONNREFUSED'));
      received.push(message);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return { received, state, transport };
}

/** A manual scheduler: retries run only when the test says so, never on wall-clock time. */
function manualSchedule() {
  const pending: (() => void)[] = [];
  return {
    schedule: (fn: () => void) => { pending.push(fn); return { cancel: () => { pending.splice(pending.indexOf(fn), 1); } }; },
    runAll: () => { for (const fn of pending.splice(0)) fn(); },
    pending,
  };
}

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'q2-siem-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('SIEM exporter', () => {
  it('delivers in order while the collector is up', async () => {
    const c = fakeCollector();
    const exporter = createSiemExporter({ transport: c.transport, spool: createSpool(dir) });
    await Promise.all(['a', 'b', 'c'].map((l) => exporter.submit(l)));
    expect(c.received).toEqual(['a', 'b', 'c']);
    expect(exporter.stats()).toEqual({ sent: 3, spooled: 0, failures: 0 });
  });

  it('spools to disk (0600) while the collector is down and replays in order when it is back', async () => {
    const c = fakeCollector();
    const timers = manualSchedule();
    const exporter = createSiemExporter({ transport: c.transport, spool: createSpool(dir), schedule: timers.schedule });
    await exporter.submit('1');
    c.state.up = false;
    await exporter.submit('2\nwith newline');
    await exporter.submit('3');
    expect(c.received).toEqual(['1']);
    const file = path.join(dir, 'spool.jsonl');
    expect((await readFile(file, 'utf8')).split('\n').filter((l) => l !== '')).toHaveLength(2);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(timers.pending).toHaveLength(1);

    // Still down at the retry: nothing lost, another retry scheduled.
    timers.runAll();
    await exporter.flush();
    expect(c.received).toEqual(['1']);

    c.state.up = true;
    await exporter.submit('4');
    expect(c.received).toEqual(['1']);
    timers.runAll();
    expect(await exporter.flush()).toBe(true);
    await exporter.submit('5');
    expect(c.received).toEqual(['1', '2\nwith newline', '3', '4', '5']);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('keeps the unsent tail when the collector fails mid-replay', async () => {
    const c = fakeCollector();
    const timers = manualSchedule();
    const exporter = createSiemExporter({ transport: c.transport, spool: createSpool(dir), schedule: timers.schedule });
    c.state.up = false;
    for (const l of ['a', 'b', 'c', 'd']) await exporter.submit(l);
    c.state.up = true;
    c.state.failAfter = 2;
    expect(await exporter.flush()).toBe(false);
    expect(c.received).toEqual(['a', 'b']);
    c.state.failAfter = Infinity;
    expect(await exporter.flush()).toBe(true);
    expect(c.received).toEqual(['a', 'b', 'c', 'd']);
  });

  it('close() leaves undeliverable lines spooled and a new exporter replays them first', async () => {
    const c = fakeCollector();
    c.state.up = false;
    const first = createSiemExporter({ transport: c.transport, spool: createSpool(dir), schedule: manualSchedule().schedule });
    await first.submit('old-1');
    await first.submit('old-2');
    await first.close();
    expect(c.received).toEqual([]);

    c.state.up = true;
    const second = createSiemExporter({ transport: c.transport, spool: createSpool(dir) });
    await second.submit('new');
    expect(c.received).toEqual(['old-1', 'old-2', 'new']);
  });

  it('ignores a torn last spool line (crash mid-append) and keeps the complete ones', async () => {
    const spool = createSpool(dir);
    await spool.append(['x', 'y']);
    const { appendFile } = await import('node:fs/promises');
    await appendFile(path.join(dir, 'spool.jsonl'), '"tor');
    expect(await spool.readAll()).toEqual(['x', 'y']);
    await spool.append(['z']);
    expect(await spool.readAll()).toEqual(['x', 'y', 'z']);
  });
});
