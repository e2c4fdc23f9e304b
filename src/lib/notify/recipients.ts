/**
 * Recipient checks shared by the senders. Addresses reach a mail header and phone numbers a
 * provider's API, so both are held to a strict shape: one recipient, no CR/LF, bounded length.
 */
import { isIPv4 } from 'node:net';

import { AppError } from '../errors/index.js';

// One addr-spec without display name, comments or quoting (RFC 5321 limits: 64 local, 254 total).
const LOCAL_PART = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;
const DOMAIN_LABEL = /^[A-Za-z0-9-]{1,63}$/;
const isDomainLabel = (label: string) => DOMAIN_LABEL.test(label) && !label.startsWith('-') && !label.endsWith('-');
// ITU-T E.164: '+', a non-zero country code digit, at most 15 digits in all.
const E164 = /^\+[1-9][0-9]{6,14}$/;

export function assertEmailAddress(address: string): void {
  const at = typeof address === 'string' ? address.lastIndexOf('@') : -1;
  const valid = at > 0 && address.length <= 254 && LOCAL_PART.test(address.slice(0, at)) &&
    address.slice(at + 1).split('.').every(isDomainLabel);
  if (!valid) {
    throw new AppError('VALIDATION_FAILED', 'The email address is not a single valid address.');
  }
}

export function assertPhoneNumber(phone: string): void {
  if (typeof phone !== 'string' || !E164.test(phone)) {
    throw new AppError('VALIDATION_FAILED', 'The phone number must be in E.164 format (+<country><number>).');
  }
}

/**
 * True for hosts that never leave the machine. Only these may be reached without TLS: a code
 * sent in clear text over a network is as good as published.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}
