// Whose session quota a new session counts against: the validated identity when incoming auth is on, otherwise the
// peer address of the TCP connection. Never X-Forwarded-For or similar headers: any client can write those, so a
// flood could spread itself over invented addresses. Behind a proxy every anonymous client shares the proxy's address
// (docs/operations.md says what to configure then).
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';

export function sessionQuotaKey(req: IncomingMessage, caller: { subject: string; token?: string }): string {
  // Only a validated bearer token yields a token here; anonymous callers have none.
  if (caller.token) return `identity:${caller.subject}`;
  return `address:${addressKey(req.socket.remoteAddress ?? '')}`;
}

/**
 * An IPv4 address as is (also when written IPv4-mapped, `::ffff:a.b.c.d`); an IPv6 address by its /64 prefix, the
 * block one host or one subscriber is normally given, so that one host cannot count as 2^64 clients.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
