/** SIEM export: RFC 5424 syslog over TCP/TLS/UDP with CEF or ECS payloads, spooled when down. */
export { escapeCefExtension, escapeCefHeader, formatCef, type CefHeader } from './cef.js';
export { formatEcs, toEcs } from './ecs.js';
export { eventToCef, formatEventLine, type EventFormatOptions, type SiemFormat } from './event-format.js';
export { createSiemExporter, type SiemExporter, type SiemExporterOptions } from './exporter.js';
export { escapeSdValue, formatRfc5424, frameOctetCounted, type SyslogMessage } from './rfc5424.js';
export { createSpool, type Spool } from './spool.js';
export { createSyslogTransport, parseSyslogUrl, type SyslogTransport, type TransportOptions } from './transport.js';
export { createSiemCapability, siemFormatOf, type SiemCapability, type SiemCapabilityOptions } from './capability.js';
