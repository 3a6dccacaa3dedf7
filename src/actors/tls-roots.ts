// The roots every outgoing TLS connection trusts (backends and the session store alike): the OS certificate store
// (`system`) and Node's bundled roots (`default`), plus any CA certificates the configuration adds. Node's `ca` option
// replaces its roots rather than adding to them, so the list is always given whole. Building a context from ~700
// roots costs milliseconds and memory, so one context per distinct trust set is shared by every connection using it.
import { createSecureContext, getCACertificates, type SecureContext } from 'node:tls';

let roots: string[] | undefined;
const contexts = new Map<string, SecureContext>();

/** The CA certificates trusted: the OS store and Node's bundled roots (each once), then `extra` in order. */
export function trustedCaCertificates(extra: readonly string[] = []): string[] {
  roots ??= [...new Set([...safeRoots('system'), ...safeRoots('default')])];
  return [...roots, ...extra];
}

/** A client certificate chain and its private key (PEM), presented to servers that ask for one. */
export interface ClientIdentity {
  cert: string;
  key: string;
}

/**
 * The TLS context (TLS 1.2 minimum) trusting {@link trustedCaCertificates} with `extra`, shared per trust set. With
 * `identity` it also presents that client certificate: a context of its own (one per connection setting, made once),
 * and createSecureContext's error when the key is unusable or does not match the certificate.
 */
export function trustedSecureContext(extra: readonly string[] = [], identity?: ClientIdentity): SecureContext {
  if (identity) return createSecureContext({ ca: trustedCaCertificates(extra), minVersion: 'TLSv1.2', ...identity });
  const key = extra.join('\n');
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: trustedCaCertificates(extra), minVersion: 'TLSv1.2' });
    contexts.set(key, context);
  }
  return context;
}

/** A store that cannot be read (an OS without one, a broken file) leaves the other roots in place. */
function safeRoots(kind: 'system' | 'default'): string[] {
  try {
    return getCACertificates(kind);
  } catch {
    return [];
  }
}
