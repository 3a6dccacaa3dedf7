import { describe, expect, it } from 'vitest';
import { GatewayConfigError } from '../../../src/api/gateway/config.ts';
import { parseGatewayConfig } from '../../../src/api/gateway/config-text.ts';
import { parseSessionStoreUrl, sessionStoreUrl } from '../../../src/api/gateway/session-store.ts';

function problemOf(yaml: string): string {
  try {
    parseGatewayConfig(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayConfigError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('gateway config sessionStore', () => {
  it('is absent by default (the in-memory store) and accepts redis and rediss URLs', () => {
    expect(parseGatewayConfig('{}').sessionStore).toBeUndefined();
    const cfg = parseGatewayConfig(
      'sessionStore: { url: "rediss://redis.tools.svc:6380/2", passwordFile: /etc/mcpre/session-store/password }\n',
    );
    expect(cfg.sessionStore).toEqual({
      url: 'rediss://redis.tools.svc:6380/2',
      passwordFile: '/etc/mcpre/session-store/password',
    });
    expect(parseGatewayConfig('sessionStore: { url: "redis://127.0.0.1:6379" }').sessionStore).toEqual({
      url: 'redis://127.0.0.1:6379',
    });
  });

  it.each([
    ['redis://127.0.0.1:6379', { tls: false, host: '127.0.0.1', port: 6379, db: 0 }],
    ['redis://127.0.0.1:6379/', { tls: false, host: '127.0.0.1', port: 6379, db: 0 }],
    ['rediss://redis.example:6380/15', { tls: true, host: 'redis.example', port: 6380, db: 15 }],
    ['redis://[::1]:7000/3', { tls: false, host: '::1', port: 7000, db: 3 }],
  ])('reads %s', (url, address) => {
    expect(parseSessionStoreUrl(url)).toEqual({ address });
  });

  it('writes the URL back from an address, IPv6 in brackets and database 0 left out', () => {
    expect(sessionStoreUrl({ tls: false, host: 'redis.tools', port: 6379, db: 0 })).toBe('redis://redis.tools:6379');
    expect(sessionStoreUrl({ tls: true, host: '::1', port: 7000, db: 4 })).toBe('rediss://[::1]:7000/4');
    for (const url of ['redis://redis.tools:6379', 'rediss://[::1]:7000/4']) {
      const parsed = parseSessionStoreUrl(url);
      expect('address' in parsed && sessionStoreUrl(parsed.address)).toBe(url);
    }
  });

  it.each([
    ['http://redis:6379', 'has scheme "http"; expected redis or rediss'],
    ['redis://redis', 'has no port; write it out'],
    ['redis://redis:0', 'has port 0'],
    ['redis://:6379', 'is not a URL'],
    ['redis://redis:99999', 'is not a URL'],
    ['redis://redis:6379/zero', 'has path "/zero"; the only path allowed is a database number'],
    ['redis://redis:6379/1/2', 'has path "/1/2"; the only path allowed is a database number'],
    ['redis://redis:6379/9999999999', 'names database 9999999999; the largest is 2147483647'],
    ['redis://redis:6379?db=1', 'may not have a query or fragment'],
    ['not a url', 'is not a URL'],
  ])('refuses %s with a reason', (url, reason) => {
    expect(problemOf(`sessionStore: { url: "${url}" }`)).toContain(`sessionStore.url: the session store URL ${reason}`);
  });

  it('refuses a password in the URL, points to the Secret or file, and never repeats it', () => {
    for (const url of ['redis://:hunter2@redis:6379', 'redis://default:hunter2@redis:6379/1', 'rediss://hunter2@r:1']) {
      const message = problemOf(`sessionStore: { url: "${url}" }`);
      expect(message).toContain('sessionStore.url: the session store URL may not carry credentials');
      expect(message).toContain('spec.sessionStorage.passwordRef');
      expect(message).toContain('MCPRE_SESSION_STORE_PASSWORD');
      expect(message).not.toContain('hunter2');
    }
    expect(problemOf('sessionStore: { url: "redis://:p@ss@word@redis:x" }')).not.toContain('word');
  });

  it('takes a caFile (an absolute path) with a rediss URL only', () => {
    expect(
      parseGatewayConfig('sessionStore: { url: "rediss://r:6380", caFile: /etc/mcpre/session-store-ca/ca.crt }')
        .sessionStore,
    ).toEqual({ url: 'rediss://r:6380', caFile: '/etc/mcpre/session-store-ca/ca.crt' });
    // The scheme is case-insensitive, as the URL rule reads it.
    expect(parseGatewayConfig('sessionStore: { url: "REDISS://h:6380", caFile: /etc/ca.crt }').sessionStore).toEqual({
      url: 'REDISS://h:6380',
      caFile: '/etc/ca.crt',
    });
    expect(problemOf('sessionStore: { url: "REDIS://h:6379", caFile: /etc/ca.crt }')).toContain(
      'sessionStore.caFile: is only used with TLS',
    );
    expect(problemOf('sessionStore: { url: "redis://r:6379", caFile: /etc/ca.crt }')).toContain(
      'sessionStore.caFile: is only used with TLS: the URL must start with rediss://',
    );
    expect(problemOf('sessionStore: { url: "rediss://r:6380", caFile: ca.crt }')).toContain(
      'sessionStore.caFile: must be an absolute path',
    );
  });

  it('takes a client certificate as certFile and keyFile together, with a rediss URL only', () => {
    const pair = 'certFile: /etc/mcpre/client/tls.crt, keyFile: /etc/mcpre/client/tls.key';
    expect(parseGatewayConfig(`sessionStore: { url: "rediss://r:6380", ${pair} }`).sessionStore).toEqual({
      url: 'rediss://r:6380',
      certFile: '/etc/mcpre/client/tls.crt',
      keyFile: '/etc/mcpre/client/tls.key',
    });
    expect(problemOf('sessionStore: { url: "rediss://r:6380", certFile: /etc/c.crt }')).toContain(
      'sessionStore.keyFile: is required with certFile: a certificate needs its key',
    );
    expect(problemOf('sessionStore: { url: "rediss://r:6380", keyFile: /etc/c.key }')).toContain(
      'sessionStore.certFile: is required with keyFile',
    );
    const plain = problemOf(`sessionStore: { url: "redis://r:6379", ${pair} }`);
    expect(plain).toContain('sessionStore.certFile: is only used with TLS');
    expect(plain).toContain('sessionStore.keyFile: is only used with TLS');
    expect(problemOf('sessionStore: { url: "rediss://r:6380", certFile: c.crt, keyFile: /k }')).toContain(
      'sessionStore.certFile: must be an absolute path',
    );
  });

  it('checks passwordFile like every secret file and refuses unknown keys', () => {
    expect(problemOf('sessionStore: { url: "redis://r:1", passwordFile: relative/pw }')).toContain(
      'sessionStore.passwordFile: must be an absolute path',
    );
    expect(problemOf('sessionStore: { url: "redis://r:1", password: x }')).toContain(
      'sessionStore: Unrecognized key: "password"',
    );
    expect(problemOf('sessionStore: {}')).toContain('sessionStore.url');
  });
});
