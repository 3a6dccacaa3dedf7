// A VirtualMCPServer's spec.sessionStorage (ToolHive's field names): memory keeps client sessions in one gateway
// process (the default, with the single-replica rule for direct endpoints and the Lease), redis keeps them on a Redis
// server every replica shares. The gateway config gets the store's URL; the password reaches the pod only as the
// environment variable MCPRE_SESSION_STORE_PASSWORD from its Secret (a secretKeyRef), never the ConfigMap or status.
import type { SecretKeys } from '../endpoint/model.ts';
import { parseSessionStoreUrl, sessionStorePasswordEnv, sessionStoreUrl } from '../gateway/session-store.ts';
import type { PodEnvVar } from '../telemetry-env.ts';
import type { VirtualMCPServer } from './model.ts';

export type SessionStorage =
  | { provider: 'memory' }
  | { provider: 'redis'; url: string; passwordRef: { name: string; key: string } | undefined };

export interface SessionStorageProblem {
  reason: 'SessionStorageInvalid' | 'SessionStoragePasswordSecretNotFound';
  message: string;
}

const field = 'spec.sessionStorage';

/** The store the spec asks for, or why it cannot be used. */
export function sessionStorage(
  vmcp: VirtualMCPServer,
  secrets: Readonly<Record<string, SecretKeys | null>>,
): { storage: SessionStorage } | { problem: SessionStorageProblem } {
  const spec = vmcp.spec.sessionStorage;
  if (!spec || (spec.provider ?? 'memory') === 'memory') return { storage: { provider: 'memory' } };
  const invalid = (message: string) => ({ problem: { reason: 'SessionStorageInvalid' as const, message } });
  const address = (spec.address ?? '').trim();
  if (address === '') return invalid(`${field}.address is required with provider redis, e.g. redis.tools.svc:6379`);
  // A password typed into the address is never repeated in a message (status is readable by many).
  const shown = address.includes('@') ? '' : ` "${address.slice(0, 100)}"`;
  if (address.includes('@'))
    return invalid(
      `${field}.address may not carry credentials: put the password in a Secret and name it in ${field}.passwordRef`,
    );
  if (address.includes('://'))
    return invalid(`${field}.address${shown} is host:port without a scheme (set ${field}.tls for rediss)`);
  if (/[/?#\s]/.test(address)) return invalid(`${field}.address${shown} is not host:port`);
  const parsed = parseSessionStoreUrl(`${spec.tls ? 'rediss' : 'redis'}://${address}/${spec.db ?? 0}`);
  if ('problem' in parsed) {
    const why = parsed.problem.startsWith('has no port')
      ? 'has no port; write it out, e.g. redis.tools.svc:6379'
      : parsed.problem.startsWith('is not a URL')
        ? 'is not host:port (a host name, an IPv4 address or a bracketed IPv6 address, and a port from 1 to 65535)'
        : parsed.problem.replace(/^names database/, `${field}.db names database`);
    return invalid(`${field}.address${shown} ${why}`);
  }
  const ref = spec.passwordRef;
  if (ref) {
    const secret = secrets[ref.name];
    if (!secret?.keys.includes(ref.key)) {
      const what = secret ? `has no key "${ref.key}"` : 'does not exist in this namespace';
      return {
        problem: {
          reason: 'SessionStoragePasswordSecretNotFound',
          message: `Secret "${ref.name}" (${field}.passwordRef) ${what}; create it with key "${ref.key}" or fix ${field}.passwordRef`,
        },
      };
    }
  }
  return {
    storage: {
      provider: 'redis',
      url: sessionStoreUrl(parsed.address),
      passwordRef: ref ? { name: ref.name, key: ref.key } : undefined,
    },
  };
}

/** The Secret the spec's password lives in, for the reconcile's references (whatever the provider says). */
export function sessionStorageSecretName(vmcp: VirtualMCPServer): string | undefined {
  const spec = vmcp.spec.sessionStorage;
  return spec?.provider === 'redis' ? spec.passwordRef?.name : undefined;
}

/** The password's environment variable: the one exception to "Secrets as files", which the store's client reads once. */
export function sessionStorageEnv(storage: SessionStorage): PodEnvVar[] {
  if (storage.provider !== 'redis' || !storage.passwordRef) return [];
  return [{ name: sessionStorePasswordEnv, valueFrom: { secretKeyRef: { ...storage.passwordRef } } }];
}
