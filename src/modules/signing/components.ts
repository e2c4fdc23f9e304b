/**
 * RFC 9421 §2.1 (HTTP fields) and §2.2 (derived components) of a request: the value each
 * covered component contributes to the signature base. Only the request-side derived
 * components are known; `@status` belongs to responses and `@query-param` (which needs a `name`
 * parameter) is not supported, so a signature covering them does not verify here.
 */
import type { HttpFields, HttpRequestMessage } from './types.js';

/** Field names are lowercase tokens (RFC 9110 §5.1); derived names start with `@`. */
const FIELD_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * §2.1: each field line's value with leading and trailing whitespace removed, several lines
 * joined by ", ". Undefined when the field is absent, which makes a signature covering it fail.
 */
export function fieldValue(fields: HttpFields, name: string): string | undefined {
  const raw = fields[name];
  if (raw === undefined) return undefined;
  const lines = typeof raw === 'string' ? [raw] : raw;
  if (lines.length === 0) return undefined;
  return lines.map((line) => line.trim()).join(', ');
}

function derivedValue(message: HttpRequestMessage, name: string): string | undefined {
  const query = message.query === null ? '' : `?${message.query}`;
  switch (name) {
    case '@method': return message.method;
    case '@target-uri': return `${message.scheme}://${message.authority}${message.path}${query}`;
    case '@authority': return message.authority;
    case '@scheme': return message.scheme;
    case '@request-target': return `${message.path}${query}`;
    case '@path': return message.path;
    // §2.2.7: without a query the value is the `?` alone.
    case '@query': return message.query === null ? '?' : `?${message.query}`;
    default: return undefined;
  }
}

/** The component's value, or undefined when it is unknown, absent, or not a valid name. */
export function componentValue(message: HttpRequestMessage, name: string): string | undefined {
  if (name.startsWith('@')) return derivedValue(message, name);
  if (!FIELD_NAME.test(name)) return undefined;
  return fieldValue(message.fields, name);
}

/** RFC 9421 §2.2.3: lowercase host, and no port when it is the scheme's default. */
export function normaliseAuthority(host: string, scheme: 'http' | 'https'): string {
  const lower = host.toLowerCase();
  const defaultPort = scheme === 'https' ? ':443' : ':80';
  return lower.endsWith(defaultPort) ? lower.slice(0, -defaultPort.length) : lower;
}

/** Splits a request target in origin-form (`/path?query`) as it came off the wire. */
export function splitTarget(target: string): { path: string; query: string | null } {
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  return { path: path === '' ? '/' : path, query: mark < 0 ? null : target.slice(mark + 1) };
}
