// The session store's TLS settings (src/runtime/redis-tls.ts): SNI for DNS names only, the backends' roots with a CA
// file read and added to them, an unusable CA file as a reason, and TLS failures told as what to do.
import { describe, expect, it } from 'vitest';
import { trustedSecureContext } from '../../../src/actors/tls-roots.ts';
import { pemCertificateBlocks } from '../../../src/api/endpoint/ca-bundle.ts';
import type { SessionStoreAddress } from '../../../src/api/gateway/session-store.ts';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import { redisTlsOptions, tlsFailure } from '../../../src/runtime/redis-tls.ts';
import { CA_PEM } from '../vmcp/fixtures.ts';

const at = (host: string, tls = true): SessionStoreAddress => ({ tls, host, port: 6380, db: 0 });
const files = (map: Record<string, string>) => (path: string) => {
  const text = map[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};

describe('redis TLS options', () => {
  it('sends SNI for a DNS name, none for an IPv4 or IPv6 address, and nothing TLS for redis://', () => {
    const secureContext = expect.anything();
    expect(redisTlsOptions(at('redis.tools.svc'), {})).toEqual({
      socket: { tls: true, servername: 'redis.tools.svc', secureContext },
    });
    expect(redisTlsOptions(at('10.0.0.7'), {})).toEqual({ socket: { tls: true, secureContext } });
    expect(redisTlsOptions(at('fd00::1'), {})).toEqual({ socket: { tls: true, secureContext } });
    // Without a CA file, the same roots as the backends: the OS store too, not only Node's defaults.
    const ipv6 = redisTlsOptions(at('fd00::1'), {});
    expect('socket' in ipv6 && ipv6.socket?.secureContext).toBe(trustedSecureContext());
    expect(redisTlsOptions(at('redis.tools.svc', false), {})).toEqual({ socket: undefined });
  });

  it("trusts the backends' roots plus the CA file's certificates, and says why a CA file cannot be used", () => {
    const ok = redisTlsOptions(
      at('10.0.0.7'),
      { caFile: '/ca/ca.crt' },
      files({ '/ca/ca.crt': `# comment\n${CA_PEM}` }),
    );
    // The context shared per trust set (tls-roots.ts) for exactly the file's certificates: not one of the file alone.
    expect(ok).toEqual({ socket: { tls: true, secureContext: expect.anything() } });
    expect('socket' in ok && ok.socket?.secureContext).toBe(trustedSecureContext(pemCertificateBlocks(CA_PEM)));
    expect(redisTlsOptions(at('h'), { caFile: '/ca/none.crt' }, files({}))).toEqual({
      problem: 'CA file /ca/none.crt cannot be read: ENOENT',
    });
    expect(redisTlsOptions(at('h'), { caFile: '/ca/x.crt' }, files({ '/ca/x.crt': 'junk' }))).toMatchObject({
      problem: expect.stringContaining('CA file /ca/x.crt holds no PEM certificate'),
    });
    const broken = CA_PEM.replace(/MIIB/, 'MIIX');
    expect(redisTlsOptions(at('h'), { caFile: '/ca/b.crt' }, files({ '/ca/b.crt': broken }))).toMatchObject({
      problem: expect.stringContaining('certificate 1 of 1 in CA file /ca/b.crt is not a valid X.509 certificate'),
    });
    expect(redisTlsOptions(at('h', false), { caFile: '/ca/ca.crt' }, files({ '/ca/ca.crt': CA_PEM }))).toMatchObject({
      problem: expect.stringContaining('only used with rediss://'),
    });
  });

  it('presents a client certificate, and says why a certificate or key cannot be used without showing the key', async () => {
    const { admin, serving } = await makeControlPlaneCerts(new Date());
    const pem = (label: string) => `-----BEGIN ${label}-----\nMIIB\n-----END ${label}-----\n`;
    const clientCert = { certFile: '/c/tls.crt', keyFile: '/c/tls.key' };
    const read = (key: string) => files({ '/c/tls.crt': admin.certPem, '/c/tls.key': key });
    // A certificate with its own key: a context of its own, not the shared one without an identity.
    const ok = redisTlsOptions(at('h'), { clientCert }, read(admin.keyPem));
    expect(ok).toEqual({ socket: { tls: true, servername: 'h', secureContext: expect.anything() } });
    expect('socket' in ok && ok.socket?.secureContext).not.toBe(trustedSecureContext());
    expect(redisTlsOptions(at('h'), { clientCert }, read(pem('ENCRYPTED PRIVATE KEY')))).toEqual({
      problem: 'client key /c/tls.key is encrypted: give the key unencrypted (as tls.key of a TLS Secret)',
    });
    expect(redisTlsOptions(at('h'), { clientCert }, read('junk'))).toEqual({
      problem: 'client key /c/tls.key holds no PEM private key',
    });
    // A real key of another certificate: OpenSSL's reason, never the key's text.
    const wrong = redisTlsOptions(at('h'), { clientCert }, read(serving.keyPem));
    expect(wrong).toEqual({
      problem: expect.stringMatching(
        /^client key \/c\/tls.key cannot be used with certificate \/c\/tls.crt: .*key values mismatch$/,
      ),
    });
    // Outside its validity (7 days from a minute ago): told with the date, before any connection.
    const day = 24 * 3600 * 1000;
    expect(redisTlsOptions(at('h'), { clientCert }, read(admin.keyPem), () => new Date(Date.now() + 8 * day))).toEqual({
      problem: expect.stringMatching(/^client certificate \/c\/tls.crt expired on 20\d\d-.*Z: renew it$/),
    });
    expect(redisTlsOptions(at('h'), { clientCert }, read(admin.keyPem), () => new Date(Date.now() - day))).toEqual({
      problem: expect.stringMatching(
        /^client certificate \/c\/tls.crt is not valid before 20\d\d-.*Z: check the clock$/,
      ),
    });
    const keyBody = serving.keyPem.split('\n')[1] ?? '';
    expect(JSON.stringify(wrong)).not.toContain(keyBody);
    expect(redisTlsOptions(at('h'), { clientCert: { ...clientCert, certFile: '/c/none.crt' } }, read(''))).toEqual({
      problem: 'client certificate /c/none.crt cannot be read: ENOENT',
    });
    expect(redisTlsOptions(at('h', false), { clientCert }, read(''))).toEqual({
      problem: 'client certificate /c/tls.crt given for a redis:// URL: it is only used with rediss://',
    });
  });

  it('tells TLS failures apart from other errors', () => {
    const err = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(tlsFailure(err('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'), 'h')).toBe(
      "TLS: the server's certificate is not trusted (unable to get local issuer certificate); give the CA that issued it " +
        '(sessionStore.caFile or --session-store-ca-file; VirtualMCPServer spec.sessionStorage.caBundleRef)',
    );
    expect(
      tlsFailure(err('ERR_TLS_CERT_ALTNAME_INVALID', "IP: 10.0.0.7 is not in the cert's list"), '10.0.0.7'),
    ).toContain("the server's certificate is not issued for 10.0.0.7");
    expect(tlsFailure(err('CERT_HAS_EXPIRED', 'certificate has expired'), 'h')).toContain(
      'outside its validity period',
    );
    expect(tlsFailure(err('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'h')).toContain(
      'is the server speaking TLS on this port?',
    );
    expect(tlsFailure(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'alert certificate required\n'), 'h')).toBe(
      'TLS: the server asks for a client certificate and none was given; give one (sessionStore.certFile and keyFile ' +
        'or --session-store-cert-file and --session-store-key-file; VirtualMCPServer spec.sessionStorage.clientCertSecretRef)',
    );
    // OpenSSL 3.2 and later spell the version-neutral alerts SSL/TLS (an expired certificate, a bad one).
    for (const code of [
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
      'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED',
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    ]) {
      // OpenSSL's trailing line break does not reach the one-line reason.
      expect(tlsFailure(err(code, 'alert number 48\n'), 'h')).toMatch(
        /^TLS: the server refused the client certificate \(alert number 48\): give one issued by a CA the server trusts/,
      );
    }
    // TLS 1.2 has no certificate_required: a server wanting one and getting none ends the handshake.
    expect(tlsFailure(err('ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE', 'alert handshake failure'), 'h')).toMatch(
      /^TLS: the server ended the handshake \(alert handshake failure\): it may ask for a client certificate/,
    );
    // Any other alert is a handshake failure told as such.
    expect(tlsFailure(err('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'alert protocol version'), 'h')).toContain(
      'TLS handshake failed (alert protocol version)',
    );
    expect(tlsFailure(err('ECONNREFUSED', 'connect ECONNREFUSED'), 'h')).toBeUndefined();
  });
});
