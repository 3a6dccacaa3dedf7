// Where `mcpre gateway` keeps client sessions: the flag over the config file, the password from a file over the
// environment, and clear errors that never repeat a password.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateGatewayConfig } from '../../../src/api/gateway/config.ts';
import { sessionStorePassword } from '../../../src/api/gateway/session-store-password.ts';
import { runGateway, sessionStoreSettings } from '../../../src/gateway/run-gateway.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcpre-store-settings-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('session store settings', () => {
  it('passes the config caFile on for a rediss store, and refuses it with a plain --session-store URL', () => {
    const config = validateGatewayConfig({ sessionStore: { url: 'rediss://h:6380', caFile: '/etc/ca/ca.crt' } });
    expect(sessionStoreSettings({}, config, {})).toEqual({
      address: { tls: true, host: 'h', port: 6380, db: 0 },
      caFile: '/etc/ca/ca.crt',
    });
    expect(() => sessionStoreSettings({ sessionStore: 'redis://h:6379' }, config, {})).toThrow(
      'sessionStore.caFile is only used with TLS',
    );
    // The flag wins over the config, and needs a store and TLS too.
    expect(sessionStoreSettings({ sessionStoreCaFile: 'ca.pem' }, config, {})).toMatchObject({ caFile: 'ca.pem' });
    expect(() => sessionStoreSettings({ sessionStoreCaFile: 'ca.pem' }, validateGatewayConfig({}), {})).toThrow(
      '--session-store-ca-file needs a session store',
    );
    expect(() =>
      sessionStoreSettings({ sessionStore: 'redis://h:6379', sessionStoreCaFile: 'ca.pem' }, config, {}),
    ).toThrow('--session-store-ca-file is only used with TLS');
  });

  it('takes the client certificate and key as a pair: both flags, else the config, and only with TLS', () => {
    const config = validateGatewayConfig({
      sessionStore: { url: 'rediss://h:6380', certFile: '/etc/c/tls.crt', keyFile: '/etc/c/tls.key' },
    });
    expect(sessionStoreSettings({}, config, {})).toEqual({
      address: { tls: true, host: 'h', port: 6380, db: 0 },
      clientCert: { certFile: '/etc/c/tls.crt', keyFile: '/etc/c/tls.key' },
    });
    // Both flags win over the config's pair; one alone would pair a certificate with another source's key.
    expect(
      sessionStoreSettings({ sessionStoreCertFile: '/x/c.crt', sessionStoreKeyFile: '/x/c.key' }, config, {}),
    ).toMatchObject({ clientCert: { certFile: '/x/c.crt', keyFile: '/x/c.key' } });
    expect(() => sessionStoreSettings({ sessionStoreCertFile: '/x/c.crt' }, config, {})).toThrow(
      '--session-store-cert-file needs --session-store-key-file: a certificate and its key are given together',
    );
    expect(() => sessionStoreSettings({ sessionStoreKeyFile: '/x/c.key' }, config, {})).toThrow(
      '--session-store-key-file needs --session-store-cert-file',
    );
    expect(() => sessionStoreSettings({ sessionStore: 'redis://h:6379' }, config, {})).toThrow(
      'sessionStore.certFile is only used with TLS',
    );
    const flags = { sessionStoreCertFile: '/x/c.crt', sessionStoreKeyFile: '/x/c.key' };
    expect(() => sessionStoreSettings({ ...flags, sessionStore: 'redis://h:6379' }, config, {})).toThrow(
      '--session-store-cert-file is only used with TLS',
    );
    expect(() => sessionStoreSettings(flags, validateGatewayConfig({}), {})).toThrow(
      '--session-store-cert-file needs a session store',
    );
    expect(() => sessionStoreSettings({ sessionStoreKeyFile: '' }, config, {})).toThrow(
      '--session-store-key-file is empty',
    );
  });

  it('--proxy-mode names the session store flags it does not take, instead of ignoring them', async () => {
    await expect(
      runGateway({ proxyMode: true, sessionStoreCertFile: '/c/tls.crt', sessionStoreKeyFile: '/c/tls.key' }),
    ).rejects.toThrow(
      '--proxy-mode takes its settings from the environment only: leave out --session-store-cert-file, --session-store-key-file',
    );
  });

  it('refuses an empty file flag instead of falling back to the config file or the environment', () => {
    const config = validateGatewayConfig({ sessionStore: { url: 'rediss://h:6380', caFile: '/etc/ca/ca.crt' } });
    expect(() => sessionStoreSettings({ sessionStoreCaFile: '' }, config, {})).toThrow(
      '--session-store-ca-file is empty: give the path of the file, or leave the flag out',
    );
    expect(() => sessionStoreSettings({ sessionStoreCaFile: '' }, validateGatewayConfig({}), {})).toThrow(
      '--session-store-ca-file is empty',
    );
    expect(() =>
      sessionStoreSettings({ sessionStorePasswordFile: '' }, config, { MCPRE_SESSION_STORE_PASSWORD: 'x' }),
    ).toThrow('--session-store-password-file is empty');
  });

  it('keeps sessions in memory when nothing names a store', () => {
    expect(sessionStoreSettings({}, validateGatewayConfig({}), {})).toBeUndefined();
    expect(() =>
      sessionStoreSettings({ sessionStorePasswordFile: file('p0', 'x') }, validateGatewayConfig({}), {}),
    ).toThrow('--session-store-password-file needs a session store');
  });

  it('takes the flag over the config file, and the flag password file over the config one over the environment', () => {
    const config = validateGatewayConfig({
      sessionStore: { url: 'redis://config-host:6379/2', passwordFile: file('p1', 'from-config-file\n') },
    });
    const env = { MCPRE_SESSION_STORE_PASSWORD: 'from-env' };
    expect(sessionStoreSettings({}, config, env)).toEqual({
      address: { tls: false, host: 'config-host', port: 6379, db: 2 },
      password: 'from-config-file',
    });
    expect(
      sessionStoreSettings(
        { sessionStore: 'rediss://flag-host:6380', sessionStorePasswordFile: file('p2', 'from-flag-file') },
        config,
        env,
      ),
    ).toEqual({ address: { tls: true, host: 'flag-host', port: 6380, db: 0 }, password: 'from-flag-file' });
    expect(sessionStoreSettings({ sessionStore: 'redis://h:1' }, validateGatewayConfig({}), env)).toEqual({
      address: { tls: false, host: 'h', port: 1, db: 0 },
      password: 'from-env',
    });
    expect(sessionStoreSettings({ sessionStore: 'redis://h:1' }, validateGatewayConfig({}), {})).toEqual({
      address: { tls: false, host: 'h', port: 1, db: 0 },
    });
  });

  it('refuses a bad URL naming the flag, and a password in it without repeating the password', () => {
    const config = validateGatewayConfig({});
    expect(() => sessionStoreSettings({ sessionStore: 'http://h:1' }, config, {})).toThrow(
      '--session-store: the session store URL has scheme "http"',
    );
    let message = '';
    try {
      sessionStoreSettings({ sessionStore: 'redis://:hunter2@h:6379' }, config, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('may not carry credentials');
    expect(message).not.toContain('hunter2');
  });

  it('reads the password file, refusing an empty or missing one', () => {
    const readFile = (p: string) => readFileSync(p, 'utf8');
    expect(sessionStorePassword({ file: file('p3', 'pw\r\n'), env: {}, readFile })).toBe('pw');
    expect(() => sessionStorePassword({ file: file('p4', ''), env: {}, readFile })).toThrow('is empty');
    expect(() => sessionStorePassword({ file: join(dir, 'absent'), env: {}, readFile })).toThrow(
      /cannot read the session store password file .*absent: ENOENT/,
    );
    expect(sessionStorePassword({ env: { MCPRE_SESSION_STORE_PASSWORD: '' }, readFile })).toBeUndefined();
  });
});
