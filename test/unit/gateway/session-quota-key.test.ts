import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressKey, sessionQuotaKey } from '../../../src/gateway/session-quota-key.ts';

const request = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe('sessionQuotaKey', () => {
  it('is the identity when the caller has a validated token, whatever its address', () => {
    expect(sessionQuotaKey(request('10.0.0.1'), { subject: 'alice', token: 'eyJ...' })).toBe('identity:alice');
    expect(sessionQuotaKey(request('10.0.0.2'), { subject: 'alice', token: 'eyJ...' })).toBe('identity:alice');
  });

  it('is the socket address for anonymous callers, never a forwarding header', () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.9', forwarded: 'for=203.0.113.9' };
    expect(sessionQuotaKey(request('10.0.0.1', forwarded), { subject: 'anonymous', token: '' })).toBe(
      'address:10.0.0.1',
    );
  });
});

describe('addressKey', () => {
  it('keeps IPv4 addresses, also IPv4-mapped ones', () => {
    expect(addressKey('127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
  });

  it('groups IPv6 addresses by their /64, however they are written', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
  });
});
