import { describe, expect, it } from 'vitest';

import { AppError } from '../../../lib/errors/index.js';
import { parseTypeFilter } from './events-route.js';
import { frameOf } from './sse-stream.js';

describe('?types= filter', () => {
  it('defaults to alerts, plus incident events only for principals that may read incidents', () => {
    const admin = parseTypeFilter(undefined, true);
    const reader = parseTypeFilter(undefined, false);
    expect(['alert.raised', 'alert.acked', 'incident.opened'].map(admin)).toEqual([true, true, true]);
    expect(['alert.raised', 'incident.opened', 'auth.login'].map(reader)).toEqual([true, false, false]);
  });

  it('narrows to exact types and incident.*, never widening what the principal may see', () => {
    const filter = parseTypeFilter('alert.acked,incident.*', true);
    expect(['alert.raised', 'alert.acked', 'incident.closed'].map(filter)).toEqual([false, true, true]);
    expect(parseTypeFilter('incident.*', false)('incident.closed')).toBe(false);
    expect(parseTypeFilter('incident.closed', true)('incident.opened')).toBe(false);
  });

  it('refuses anything else with VALIDATION_FAILED', () => {
    for (const types of ['auth.login', 'alert.*', 'incident.', '*', 'alert.raised,']) {
      expect(() => parseTypeFilter(types, true), types).toThrow(AppError);
    }
  });
});

describe('event-stream framing', () => {
  it('writes one id, event and data line per event', () => {
    expect(frameOf({ id: 'x1', type: 'alert.raised', data: { title: 'a\nb' } })).toBe('id: x1\nevent: alert.raised\ndata: {"title":"a\\nb"}\n\n');
  });

  it('refuses event names or ids that could inject lines into the stream', () => {
    expect(frameOf({ id: 'x1', type: 'incident.x\ndata: forged', data: null })).toBeNull();
    expect(frameOf({ id: 'x1\nevent: forged', type: 'alert.raised', data: null })).toBeNull();
  });
});
