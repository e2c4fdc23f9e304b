/**
 * The SIEM capability: subscribes to the security event bus and exports every event to
 * Q2_SYSLOG_URL as RFC 5424 syslog (CEF by default, ECS JSON with `?format=ecs` on the URL),
 * spooling to `<dataDir>/siem-spool/` while the collector is down. Without Q2_SYSLOG_URL it
 * does nothing. close() drains the bus and makes a last delivery attempt.
 */
import os from 'node:os';
import path from 'node:path';
import { Counter } from 'prom-client';

import type { Capability, PlatformCore } from '../../server/capability.js';
import { formatEventLine, type SiemFormat } from './event-format.js';
import { createSiemExporter, type SiemExporter, type SiemExporterOptions } from './exporter.js';
import { createSpool } from './spool.js';
import { createSyslogTransport, type TransportOptions } from './transport.js';

export interface SiemCapabilityOptions extends TransportOptions {
  retryDelayMs?: SiemExporterOptions['retryDelayMs'];
  schedule?: SiemExporterOptions['schedule'];
}

export interface SiemCapability extends Capability {
  /** Undefined when no syslog URL is configured. */
  exporter?: SiemExporter;
}

export function siemFormatOf(url: string): SiemFormat {
  const format = new URL(url).searchParams.get('format') ?? 'cef';
  if (format !== 'cef' && format !== 'ecs') throw new Error(`Q2_SYSLOG_URL format must be cef or ecs, got "${format}"`);
  return format;
}

export function createSiemCapability(core: PlatformCore, options: SiemCapabilityOptions = {}): SiemCapability {
  const url = core.config.notify.syslogUrl;
  if (!url) return { name: 'siem' };
  const format = siemFormatOf(url);
  const sent = new Counter({ name: 'q2_siem_sent_total', help: 'Events delivered to the SIEM collector', registers: [core.metrics] });
  const failures = new Counter({ name: 'q2_siem_failures_total', help: 'Failed SIEM deliveries (events spooled to disk)', registers: [core.metrics] });
  const exporter = createSiemExporter({
    transport: createSyslogTransport(url, options),
    spool: createSpool(path.join(core.config.dataDir, 'siem-spool')),
    ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
    onSent: (n) => sent.inc(n),
    onError: (error, spooled) => {
      failures.inc();
      core.logger.warn({ err: error, spooled }, 'SIEM collector unreachable; events spooled to disk');
    },
  });
  // Replay what an earlier run spooled without waiting for the next event.
  exporter.flush().catch((error: unknown) => core.logger.error({ err: error }, 'SIEM spool replay failed'));
  const line = { format, hostname: os.hostname(), procId: String(process.pid) };
  const unsubscribe = core.events.subscribe('siem', (event) => exporter.submit(formatEventLine(event, line)));
  return {
    name: 'siem',
    exporter,
    async close() {
      await core.events.drain();
      unsubscribe();
      await exporter.close();
    },
  };
}
