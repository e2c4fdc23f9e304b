/**
 * Syslog transports: TCP (RFC 6587 octet counting), TLS (RFC 5425, certificate verified against
 * the system CAs or `ca`), UDP (RFC 5426, one message per datagram). A stream transport
 * connects lazily and reports failure by rejecting, so the exporter can spool instead.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { frameOctetCounted } from './rfc5424.js';

export interface SyslogTransport {
  readonly protocol: 'tcp' | 'tls' | 'udp';
  /** Resolves once the message is handed to the OS; rejects when the collector is unreachable. */
  send(message: string): Promise<void>;
  close(): Promise<void>;
}

export interface TransportOptions {
  /** Extra trust anchors for TLS (PEM). */
  ca?: string | string[];
  connectTimeoutMs?: number;
  /** A write the collector does not absorb in this time fails (and is spooled) instead of hanging. */
  writeTimeoutMs?: number;
}

export function parseSyslogUrl(raw: string): { protocol: 'tcp' | 'tls' | 'udp'; host: string; port: number } {
  const url = new URL(raw);
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'tcp' && protocol !== 'tls' && protocol !== 'udp') throw new Error(`unsupported syslog scheme ${protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : protocol === 'tls' ? 6514 : 514;
  return { protocol, host, port };
}

function streamTransport(protocol: 'tcp' | 'tls', host: string, port: number, options: TransportOptions): SyslogTransport {
  let socket: net.Socket | undefined;
  let connecting: Promise<net.Socket> | undefined;

  const connect = () => new Promise<net.Socket>((resolve, reject) => {
    const s = protocol === 'tls'
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...(options.ca ? { ca: options.ca } : {}) })
      : net.connect({ host, port });
    const timer = setTimeout(() => s.destroy(new Error('syslog connect timeout')), options.connectTimeoutMs ?? 5_000);
    const fail = (error: Error) => { clearTimeout(timer); s.destroy(); reject(error); };
    s.once('error', fail);
    s.once(protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      s.off('error', fail);
      // A later error or close marks the connection dead; the next send reconnects.
      s.on('error', () => undefined);
      s.on('close', () => { if (socket === s) socket = undefined; });
      // The collector never talks back; data from it is ignored rather than buffered.
      s.resume();
      resolve(s);
    });
  });

  return {
    protocol,
    async send(message) {
      if (!socket || socket.destroyed) {
        connecting ??= connect().finally(() => { connecting = undefined; });
        socket = await connecting;
      }
      const s = socket;
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        // A stalled collector fills the socket buffer; without a deadline export would hang forever.
        const timer = setTimeout(() => {
          settled = true;
          s.destroy();
          reject(new Error('syslog write timeout'));
        }, options.writeTimeoutMs ?? 10_000);
        s.write(frameOctetCounted(message), (error) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          // Node may complete a pending write's callback without an error when the socket was
          // destroyed under it: that message was not delivered.
          if (error || s.destroyed) {
            s.destroy();
            reject(error ?? new Error('syslog connection closed'));
          } else resolve();
        });
      });
    },
    async close() {
      const s = socket;
      socket = undefined;
      if (!s || s.destroyed) return;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        // A stalled collector never takes the last bytes: do not let shutdown hang on it.
        setTimeout(() => s.destroy(), options.writeTimeoutMs ?? 10_000).unref();
        s.end();
      });
    },
  };
}

function udpTransport(host: string, port: number): SyslogTransport {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  socket.unref();
  return {
    protocol: 'udp',
    send(message) {
      return new Promise((resolve, reject) => {
        socket.send(Buffer.from(message, 'utf8'), port, host, (error) => (error ? reject(error) : resolve()));
      });
    },
    close: () => new Promise((resolve) => { socket.close(() => resolve()); }),
  };
}

export function createSyslogTransport(url: string, options: TransportOptions = {}): SyslogTransport {
  const { protocol, host, port } = parseSyslogUrl(url);
  return protocol === 'udp' ? udpTransport(host, port) : streamTransport(protocol, host, port, options);
}
