/**
 * RFC 9421 §2.3 signature parameters and §2.5 signature base. `Signature-Input` and `Signature`
 * are RFC 8941 Structured Fields Dictionaries, parsed with `structured-headers`; the
 * `@signature-params` line is the canonical re-serialisation of the parsed Inner List, so the
 * base does not depend on optional whitespace in the received header.
 */
import { parseDictionary, serializeInnerList, type BareItem, type InnerList, type Parameters } from 'structured-headers';
import { componentValue } from './components.js';
import type { HttpRequestMessage, SignatureParams } from './types.js';

/** Bounds on what is parsed at all (a signed Q2 request needs a few hundred bytes). */
export const MAX_SIGNATURE_INPUT_LENGTH = 2048;
export const MAX_SIGNATURE_LENGTH = 1024;
export const MAX_COVERED_COMPONENTS = 24;

export interface ParsedSignatureInput {
  label: string;
  components: string[];
  params: SignatureParams;
  /** `@signature-params` value: the canonical serialisation of the Inner List. */
  serializedParams: string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const INTEGER_PARAMS = new Set(['created', 'expires']);
const STRING_PARAMS = new Set(['keyid', 'nonce', 'alg', 'tag']);

function readParams(parameters: Parameters): Parsed<SignatureParams> {
  const params: Record<string, number | string> = {};
  for (const [name, value] of parameters) {
    if (INTEGER_PARAMS.has(name)) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return { ok: false, reason: `parameter ${name} must be a non-negative integer` };
      params[name] = value;
    } else if (STRING_PARAMS.has(name)) {
      if (typeof value !== 'string') return { ok: false, reason: `parameter ${name} must be a string` };
      params[name] = value;
    }
    // Other parameters are signed (they are in @signature-params) but carry no meaning here.
  }
  return { ok: true, value: params as SignatureParams };
}

function readComponents(items: InnerList[0]): Parsed<string[]> {
  if (items.length > MAX_COVERED_COMPONENTS) return { ok: false, reason: 'too many covered components' };
  const names: string[] = [];
  for (const [value, parameters] of items) {
    if (typeof value !== 'string') return { ok: false, reason: 'component identifiers must be strings' };
    // Component parameters (sf, key, bs, req, tr, name) change how a value is derived; none is supported.
    if (parameters.size > 0) return { ok: false, reason: `component parameters are not supported (${value.slice(0, 40)})` };
    if (value === '@signature-params') return { ok: false, reason: '@signature-params cannot be covered' };
    if (names.includes(value)) return { ok: false, reason: `component ${value.slice(0, 40)} is covered twice` };
    names.push(value);
  }
  return { ok: true, value: names };
}

/**
 * Reads the one signature of a `Signature-Input` header. Q2 verifies exactly one signature per
 * request, so a header with several members is refused rather than guessed at.
 */
export function parseSignatureInput(header: string): Parsed<ParsedSignatureInput> {
  if (header.length > MAX_SIGNATURE_INPUT_LENGTH) return { ok: false, reason: 'Signature-Input too long' };
  let dictionary;
  try {
    dictionary = parseDictionary(header);
  } catch {
    return { ok: false, reason: 'Signature-Input is not a structured dictionary' };
  }
  if (dictionary.size !== 1) return { ok: false, reason: 'Signature-Input must hold exactly one signature' };
  const [label, member] = [...dictionary][0] as [string, InnerList | [BareItem, Parameters]];
  if (!Array.isArray(member[0])) return { ok: false, reason: 'Signature-Input member is not an inner list' };
  const innerList = member as InnerList;
  const components = readComponents(innerList[0]);
  if (!components.ok) return components;
  const params = readParams(innerList[1]);
  if (!params.ok) return params;
  return { ok: true, value: { label, components: components.value, params: params.value, serializedParams: serializeInnerList(innerList) } };
}

/** The signature bytes that `Signature` holds under `label`. */
export function parseSignatureValue(header: string, label: string): Parsed<Uint8Array> {
  if (header.length > MAX_SIGNATURE_LENGTH) return { ok: false, reason: 'Signature too long' };
  let dictionary;
  try {
    dictionary = parseDictionary(header);
  } catch {
    return { ok: false, reason: 'Signature is not a structured dictionary' };
  }
  const member = dictionary.get(label);
  if (member === undefined) return { ok: false, reason: `Signature has no member ${label.slice(0, 40)}` };
  const value = member[0];
  if (!(value instanceof ArrayBuffer)) return { ok: false, reason: 'Signature member is not a byte sequence' };
  return { ok: true, value: new Uint8Array(value) };
}

/** Printable ASCII and horizontal tab: RFC 9421 §2.5 signs an ASCII base. */
const NON_ASCII = /[^\t\x20-\x7e]/;

/**
 * RFC 9421 §2.5: one line `"<component>": <value>` per covered component, in order, then
 * `"@signature-params": <params>`; lines joined by LF, no trailing LF.
 */
export function buildSignatureBase(message: HttpRequestMessage, components: readonly string[], serializedParams: string): Parsed<string> {
  const lines: string[] = [];
  for (const name of components) {
    const value = componentValue(message, name);
    if (value === undefined) return { ok: false, reason: `covered component ${name.slice(0, 40)} is absent or unsupported` };
    if (NON_ASCII.test(value)) return { ok: false, reason: `component ${name.slice(0, 40)} is not ASCII` };
    lines.push(`"${name}": ${value}`);
  }
  lines.push(`"@signature-params": ${serializedParams}`);
  return { ok: true, value: lines.join('\n') };
}

/** Serialises an Inner List of plain component names with parameters in the given order. */
export function serializeSignatureParams(components: readonly string[], params: Readonly<SignatureParams>): string {
  const parameters: Parameters = new Map();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) parameters.set(name, value as BareItem);
  return serializeInnerList([components.map((name) => [name, new Map()]), parameters]);
}
