// TLS toward the session store's Redis (`rediss://`): whom to trust and what name to send. The trusted roots are the
// backends' (../actors/tls-roots.ts: the OS store and Node's bundled roots), and a CA file adds its certificates to
// them, read once: a changed file takes effect on restart. SNI carries DNS names only (RFC 6066 forbids an IP address
// there, and Node warns about it), while the certificate is still checked against the host, IP addresses against IP
// SANs. TLS failures are told as one line saying what to do.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { SecureContext } from 'node:tls';
import { trustedSecureContext } from '../actors/tls-roots.ts';
import { checkPemCertificates, pemCertificateBlocks } from '../api/endpoint/ca-bundle.ts';
import type { SessionStoreAddress } from '../api/gateway/session-store.ts';

/** The socket options node-redis passes to `tls.connect`. */
export interface RedisTlsSocket {
  tls: true;
  servername?: string;
  secureContext: SecureContext;
}

/** Where a CA file is named in the configuration, for messages. */
const caFileAdvice = 'sessionStore.caFile or --session-store-ca-file; VirtualMCPServer spec.sessionStorage.caBundleRef';

/**
 * The TLS socket options for an address (none for plain `redis://`), or why there can be none: a CA file that cannot
 * be read or holds no valid certificate, or a CA file for a connection without TLS.
 */
export function redisTlsOptions(
  address: SessionStoreAddress,
  caFile: string | undefined,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { socket: RedisTlsSocket | undefined } | { problem: string } {
  if (!address.tls) {
    if (caFile !== undefined)
      return { problem: `CA file ${caFile} given for a redis:// URL: it is only used with rediss://` };
    return { socket: undefined };
  }
  const servername = isIP(address.host) === 0 ? { servername: address.host } : {};
  if (caFile === undefined) return { socket: { tls: true, ...servername, secureContext: trustedSecureContext() } };
  let text: string;
  try {
    text = readFile(caFile);
  } catch (err) {
    return { problem: `CA file ${caFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const check = checkPemCertificates(text, `CA file ${caFile}`);
  if (!check.ok) return { problem: check.message };
  return { socket: { tls: true, ...servername, secureContext: trustedSecureContext(pemCertificateBlocks(text)) } };
}

/** What a failed TLS connection means and what to do, or undefined when the error is not about TLS. */
export function tlsFailure(err: unknown, host: string): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const detail = err instanceof Error ? err.message : String(err);
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
    default:
      if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
        return `TLS handshake failed (${detail}); is the server speaking TLS on this port?`;
      return undefined;
  }
}
