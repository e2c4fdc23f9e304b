/**
 * ArcSight Common Event Format (CEF:0) lines. Escaping follows the CEF spec as pinned by
 * ../shared/vectors/cef_syslog.json: header fields escape `\` and `|`; extension values escape
 * `\`, `=`, CR and LF (as `\r`, `\n`) so a value can never end a field or the record.
 */
export interface CefHeader {
  vendor: string;
  product: string;
  version: string;
  classId: string;
  name: string;
  /** 0–10. */
  severity: number;
}

/** Header fields may not span lines (the spec defines no escape for it), so CR/LF become spaces. */
export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n?|\n/g, ' ');
}

export function escapeCefExtension(value: string): string {
  return value.replace(/[\\=\r\n]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
}

/** Extension keys are a fixed alphanumeric vocabulary; anything else is a programming error. */
const KEY = /^[A-Za-z0-9_]{1,64}$/;

export function formatCef(header: CefHeader, extension: Readonly<Record<string, string>>): string {
  const severity = Math.min(10, Math.max(0, Math.trunc(header.severity)));
  const head = [header.vendor, header.product, header.version, header.classId, header.name]
    .map(escapeCefHeader).join('|');
  const ext = Object.entries(extension).map(([key, value]) => {
    if (!KEY.test(key)) throw new Error(`invalid CEF extension key ${JSON.stringify(key)}`);
    return `${key}=${escapeCefExtension(value)}`;
  }).join(' ');
  return `CEF:0|${head}|${severity}|${ext}`;
}
