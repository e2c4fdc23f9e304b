/**
 * Which audit data is personal (GDPR Art. 4(1)) and how each kind is normalised before it is
 * pseudonymised. The rules (documented in docs/audit.md):
 *
 * - `ip` always; `actor` and `target` when they look like an email address, an IP address or a
 *   phone number (opaque ids such as `user:…`, `apikey:…` or UUIDs stay readable);
 * - in `details`: any member whose name says it is personal (email, phone, name, address, date of
 *   birth, document and account numbers, user agent, IP), at any depth and including everything
 *   nested under it, plus any string value anywhere that is an email or an IP address.
 */
import { isIP } from 'node:net';

export type PersonalKind = 'email' | 'ip' | 'phone' | 'name' | 'address' | 'birthdate' | 'document' | 'device';

/** Member names after lower-casing and dropping everything but letters and digits. */
const EXACT_KEYS: Readonly<Record<string, PersonalKind>> = {
  email: 'email', emailaddress: 'email', mail: 'email',
  ip: 'ip', ips: 'ip', ipaddress: 'ip', ipaddresses: 'ip', remoteaddress: 'ip', remoteaddr: 'ip',
  xforwardedfor: 'ip', forwardedfor: 'ip',
  phone: 'phone', phonenumber: 'phone', mobile: 'phone', mobilenumber: 'phone', msisdn: 'phone', telephone: 'phone',
  name: 'name', fullname: 'name', firstname: 'name', lastname: 'name', givenname: 'name', familyname: 'name',
  middlename: 'name', surname: 'name', displayname: 'name', username: 'name', holdername: 'name',
  cardholder: 'name', accountholder: 'name', beneficiary: 'name', beneficiaryname: 'name',
  address: 'address', streetaddress: 'address', street: 'address', addressline1: 'address', addressline2: 'address',
  postcode: 'address', postalcode: 'address', zip: 'address', zipcode: 'address',
  dob: 'birthdate', dateofbirth: 'birthdate', birthdate: 'birthdate', birthday: 'birthdate',
  iban: 'document', accountnumber: 'document', cardnumber: 'document', pan: 'document', passport: 'document',
  passportnumber: 'document', nationalid: 'document', ssn: 'document', taxid: 'document', documentnumber: 'document',
  idnumber: 'document', mrz: 'document', driverlicense: 'document', driverslicense: 'document',
  useragent: 'device',
};

/**
 * camelCase or snake_case suffixes (`clientIp`, `source_ip`, `newEmail`, `walletAddress`). Matched on
 * the original name so that `relationship` or `tooltip` are not taken for an IP.
 */
const SUFFIXES: readonly [RegExp, PersonalKind][] = [
  [/(?:[a-z0-9]E|[_.-]e)mail$/, 'email'],
  [/(?:[a-z0-9]I[pP]|[_.-]ip)s?$/, 'ip'],
  [/(?:[a-z0-9]P|[_.-]p)hone(?:Number|_number)?$/, 'phone'],
  [/(?:[a-z0-9](?:First|Last|Full|Given|Family|Display|User)|[_.-](?:first|last|full|given|family|display|user)_?)[nN]ame$/, 'name'],
  [/(?:[a-z0-9]A|[_.-]a)ddress$/, 'address'],
];

/** Member names repeat across entries; remembering the answer keeps the regexes off the hot path. */
const keyKinds = new Map<string, PersonalKind | null>();
const KEY_CACHE_LIMIT = 5_000;

export function personalKindOfKey(key: string): PersonalKind | null {
  const cached = keyKinds.get(key);
  if (cached !== undefined) return cached;
  let kind: PersonalKind | null = EXACT_KEYS[key.toLowerCase().replace(/[^a-z0-9]/g, '')] ?? null;
  if (kind === null) for (const [pattern, k] of SUFFIXES) if (pattern.test(key)) { kind = k; break; }
  if (keyKinds.size >= KEY_CACHE_LIMIT) keyKinds.clear();
  keyKinds.set(key, kind);
  return kind;
}

const EMAIL = /^[^\s@"<>()[\],;:]{1,64}@[^\s@"<>()[\],;:]+\.[^\s@"<>()[\],;:]+$/;
const PHONE = /^\+?[0-9][0-9 ().-]{6,20}$/;

/** Kind of a free-standing value (actor, target, any details string), or null when not personal. */
export function personalKindOfValue(value: string, options: { phone: boolean }): PersonalKind | null {
  if (value.length < 3 || value.length > 320) return null;
  // Cheap character tests first: most values (ids, codes, symbols) fail all three shapes here.
  if (value.includes('@')) return EMAIL.test(value) ? 'email' : null;
  if (value.length <= 64 && (value.includes('.') || value.includes(':')) && isIP(unbracket(value)) !== 0) return 'ip';
  if (options.phone && PHONE.test(value) && /\d{7}/.test(value.replace(/\D/g, ''))) return 'phone';
  return null;
}

/**
 * One spelling per real-world value, so the same person always gets the same pseudonym:
 * emails trimmed and lower-cased; IPv4-mapped IPv6 reduced to IPv4 and IPv6 in canonical
 * compressed form; phones reduced to `+` and digits; everything else NFKC, trimmed, single
 * spaces, lower case.
 */
export function normalisePersonal(kind: PersonalKind, value: string): string {
  switch (kind) {
    case 'email':
      return value.trim().toLowerCase();
    case 'ip':
      return normaliseIp(value.trim());
    case 'phone':
      return value.replace(/[^0-9+]/g, '');
    default:
      return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  }
}

function unbracket(value: string): string {
  return value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
}

function normaliseIp(value: string): string {
  const ip = unbracket(value);
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (isIP(ip) !== 6) return ip;
  try {
    // The WHATWG URL parser serialises IPv6 per RFC 5952 (lower case, longest zero run compressed).
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}
