/** RFC 9530 Content-Digest: creation and the constant-time check against received content. */
import { describe, expect, it } from 'vitest';
import { checkContentDigest, contentDigest } from './content-digest.js';

const body = Buffer.from('{"hello": "world"}', 'utf8');

describe('Content-Digest', () => {
  it('matches the RFC 9530 §2 sha-256 example for {"hello": "world"}', () => {
    expect(contentDigest(body)).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    expect(checkContentDigest('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:', body)).toEqual({ ok: true });
  });

  it('round-trips sha-512 and accepts several members when every known one matches', () => {
    const both = `${contentDigest(body, 'sha-512')}, ${contentDigest(body)}`;
    expect(checkContentDigest(both, body)).toEqual({ ok: true });
    expect(checkContentDigest(`unixsum=:AAAA:, ${contentDigest(body)}`, body)).toEqual({ ok: true });
  });

  it.each([
    ['missing header', undefined, 'Content-Digest header missing'],
    ['other body', contentDigest(Buffer.from('{"hello": "World"}')), 'Content-Digest does not match the body'],
    ['one of two members wrong', `${contentDigest(body)}, ${contentDigest(Buffer.from('x'), 'sha-512')}`, 'Content-Digest does not match the body'],
    ['truncated digest', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9D:', 'Content-Digest does not match the body'],
    ['only unknown algorithms', 'md5=:AAAA:', 'Content-Digest has no sha-256 or sha-512 member'],
    ['token instead of bytes', 'sha-256=abc', 'Content-Digest sha-256 is not a byte sequence'],
    ['not a dictionary', 'sha-256=:::', 'Content-Digest is not a structured dictionary'],
    ['oversized', `sha-256=:${'A'.repeat(2000)}:`, 'Content-Digest header too long'],
  ])('refuses %s', (_name, header, reason) => {
    expect(checkContentDigest(header, body)).toEqual({ ok: false, reason });
  });
});
