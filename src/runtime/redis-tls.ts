// TLS toward the session store's Redis (`rediss://`): whom to trust, what name to send and, for a server that asks for
// one (`tls-auth-clients yes`), which client certificate to present. The trusted roots are the backends'
// (../actors/tls-roots.ts: the OS store and Node's bundled roots), and a CA file adds its certificates to them. The
// files are read here when a connection is made, and again when they change (redis-tls-watch.ts). SNI carries DNS
// names only (RFC 6066 forbids an IP address there, and Node warns about it), while the certificate is still checked
// against the host, IP addresses against IP SANs. TLS failures are told as one line saying what to do.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { SecureContext } from 'node:tls';
import { type ClientIdentity, trustedSecureContext } from '../actors/tls-roots.ts';
import { checkPemCertificates, pemCertificateBlocks } from '../api/endpoint/ca-bundle.ts';
import type { SessionStoreAddress } from '../api/gateway/session-store.ts';
import { readText } from './read-text.ts';

/** The socket options node-redis passes to `tls.connect`. */
export interface RedisTlsSocket {
  tls: true;
  servername?: string;
  secureContext: SecureContext;
}

/** Where a CA file is named in the configuration, for messages. */
const caFileAdvice = 'sessionStore.caFile or --session-store-ca-file; VirtualMCPServer spec.sessionStorage.caBundleRef';
/** Where a client certificate is named in the configuration, for messages. */
const clientCertAdvice =
  'sessionStore.certFile and keyFile or --session-store-cert-file and --session-store-key-file; VirtualMCPServer ' +
  'spec.sessionStorage.clientCertSecretRef';

/** The files of a TLS connection to the session store: a CA to trust, and a client certificate to present. */
export interface RedisTlsFiles {
  caFile?: string;
  /** For a server that asks clients for a certificate (redis `tls-auth-clients yes`). */
  clientCert?: { certFile: string; keyFile: string };
}

type ReadFile = (path: string) => string;

/**
 * The TLS socket options for an address (none for plain `redis://`), or why there can be none: a CA file or client
 * certificate that cannot be read or used, or either one for a connection without TLS. The files are read here.
 */
export function redisTlsOptions(
  address: SessionStoreAddress,
  files: RedisTlsFiles,
  readFile: ReadFile = (path) => readFileSync(path, 'utf8'),
  now: () => Date = () => new Date(),
): { socket: RedisTlsSocket | undefined } | { problem: string } {
  if (!address.tls) {
    if (files.caFile !== undefined)
      return { problem: `CA file ${files.caFile} given for a redis:// URL: it is only used with rediss://` };
    if (files.clientCert !== undefined)
      return {
        problem: `client certificate ${files.clientCert.certFile} given for a redis:// URL: it is only used with rediss://`,
      };
    return { socket: undefined };
  }
  const servername = isIP(address.host) === 0 ? { servername: address.host } : {};
  let extraCa: string[] = [];
  if (files.caFile !== undefined) {
    const text = readText(readFile, files.caFile, 'CA file');
    if (typeof text !== 'string') return text;
    const check = checkPemCertificates(text, `CA file ${files.caFile}`);
    if (!check.ok) return { problem: check.message };
    extraCa = pemCertificateBlocks(text);
  }
  if (files.clientCert === undefined)
    return { socket: { tls: true, ...servername, secureContext: trustedSecureContext(extraCa) } };
  const identity = clientIdentity(files.clientCert, readFile, now);
  if ('problem' in identity) return identity;
  try {
    return { socket: { tls: true, ...servername, secureContext: trustedSecureContext(extraCa, identity) } };
  } catch (err) {
    const { certFile, keyFile } = files.clientCert;
    // OpenSSL's reason (`key values mismatch`, ...) names no key material.
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/, '');
    return { problem: `client key ${keyFile} cannot be used with certificate ${certFile}: ${reason}` };
  }
}

/** The client certificate chain and key as PEM text, checked for what can be told without OpenSSL. */
function clientIdentity(
  files: NonNullable<RedisTlsFiles['clientCert']>,
  readFile: ReadFile,
  now: () => Date,
): ClientIdentity | { problem: string } {
  const cert = readText(readFile, files.certFile, 'client certificate');
  if (typeof cert !== 'string') return cert;
  const check = checkPemCertificates(cert, `client certificate ${files.certFile}`);
  if (!check.ok) return { problem: check.message };
  const outside = outsideValidity(pemCertificateBlocks(cert)[0] ?? '', now());
  if (outside) return { problem: `client certificate ${files.certFile} ${outside}` };
  const key = readText(readFile, files.keyFile, 'client key');
  if (typeof key !== 'string') return key;
  // Only the PEM labels are looked at: nothing of the key itself may reach a message.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4,ENCRYPTED/.test(key))
    return {
      problem: `client key ${files.keyFile} is encrypted: give the key unencrypted (as tls.key of a TLS Secret)`,
    };
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(key))
    return { problem: `client key ${files.keyFile} holds no PEM private key` };
  return { cert, key };
}

/**
 * Why the leaf certificate cannot be used now (expired, or not valid yet), or undefined. A server refuses such a
 * certificate with a bare alert; told here, at start, the reason names the date.
 */
function outsideValidity(pem: string, at: Date): string | undefined {
  const cert = new X509Certificate(pem);
  if (at > cert.validToDate) return `expired on ${cert.validToDate.toISOString()}: renew it`;
  if (at < cert.validFromDate) return `is not valid before ${cert.validFromDate.toISOString()}: check the clock`;
  return undefined;
}

/** What a failed TLS connection means and what to do, or undefined when the error is not about TLS. */
export function tlsFailure(err: unknown, host: string): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  // OpenSSL's messages end with a line break: a reason is one line.
  const detail = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  switch (code) {
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return `TLS: the server's certificate is not trusted (${detail}); give the CA that issued it (${caFileAdvice})`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return `TLS: the server's certificate is outside its validity period (${detail})`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS: the server's certificate is not issued for ${host} (${detail}); connect by a name or address it lists`;
    default: {
      const alert = alertFromServer(code);
      const reason = alert ? alertReason(alert, detail) : undefined;
      if (reason) return reason;
      if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
        return `TLS handshake failed (${detail}); is the server speaking TLS on this port?`;
      return undefined;
    }
  }
}

/**
 * The TLS alert the server sent, from Node's code for it: OpenSSL names alerts by protocol version
 * (`ERR_SSL_TLSV13_ALERT_...`, `ERR_SSL_TLSV1_ALERT_...`) and since 3.2 `ERR_SSL_SSL/TLS_ALERT_...` where older
 * versions said `ERR_SSL_SSLV3_ALERT_...`.
 */
function alertFromServer(code: string): string | undefined {
  return /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13|SSL\/TLS)_ALERT_([A-Z_]+)$/.exec(code)?.[1];
}

/** Alerts a server sends about the client's certificate (RFC 8446 6.2), or none where it wanted one. */
const CLIENT_CERT_REFUSED = new Set([
  'BAD_CERTIFICATE',
  'UNSUPPORTED_CERTIFICATE',
  'CERTIFICATE_REVOKED',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_UNKNOWN',
  'UNKNOWN_CA',
  'ACCESS_DENIED',
  // A certificate from another CA of the same name as the trusted one fails its signature check.
  'DECRYPT_ERROR',
]);

function alertReason(alert: string, detail: string): string | undefined {
  if (alert === 'CERTIFICATE_REQUIRED')
    return `TLS: the server asks for a client certificate and none was given; give one (${clientCertAdvice})`;
  if (CLIENT_CERT_REFUSED.has(alert))
    return `TLS: the server refused the client certificate (${detail}): give one issued by a CA the server trusts, still valid (${clientCertAdvice})`;
  // TLS 1.2 has no certificate_required alert: a server that wants a certificate and gets none says this.
  if (alert === 'HANDSHAKE_FAILURE')
    return `TLS: the server ended the handshake (${detail}): it may ask for a client certificate (${clientCertAdvice}), or accept no TLS version or cipher this client offers`;
  return undefined;
}
