// A VirtualMCPServer's spec.sessionStorage (ToolHive's field names): memory keeps client sessions in one gateway
// process (the default, with the single-replica rule for direct endpoints and the Lease), redis keeps them on a Redis
// server every replica shares. The gateway config gets the store's URL; the password reaches the pod only as the
// environment variable MCPRE_SESSION_STORE_PASSWORD from its Secret (a secretKeyRef), never the ConfigMap or status.
// With tls, caBundleRef names a ConfigMap key of CA certificates that the pod mounts read-only and the config points at
// (sessionStore.caFile), trusted in addition to the roots the gateway trusts for backends; clientCertSecretRef names a
// kubernetes.io/tls Secret whose tls.crt and tls.key are mounted as Secret files (secret-volumes.ts) for the config's
// sessionStore.certFile and keyFile, for a server that asks clients for a certificate.
import { type CaBundleCheck, checkCaBundle, DEFAULT_CA_BUNDLE_KEY } from '../endpoint/ca-bundle.ts';
import type { ConfigMap, SecretKeys } from '../endpoint/model.ts';
import { parseSessionStoreUrl, sessionStorePasswordEnv, sessionStoreUrl } from '../gateway/session-store.ts';
import type { SecretKeyRef } from '../secret-volumes.ts';
import type { PodEnvVar } from '../telemetry-env.ts';
import type { CaMount } from './backends.ts';
import type { VirtualMCPServer } from './model.ts';
import { SESSION_STORE_CA } from './names.ts';

/** The session store's CA bundle: which ConfigMap key the pod mounts, and its text (hashed into the pod checksum). */
export interface SessionStoreCa {
  configMap: string;
  key: string;
  content: string;
}

export type SessionStorage =
  | { provider: 'memory' }
  | {
      provider: 'redis';
      url: string;
      passwordRef: { name: string; key: string } | undefined;
      ca?: SessionStoreCa;
      clientCert?: SessionStoreClientCert;
    };

/**
 * The Secret holding the client certificate, and the digest of its certificate: the pods' checksum covers the digest,
 * so a renewed certificate rolls them (the gateway also takes it up by itself), while a label or annotation written to
 * the Secret does not (the operator keeps no Secret values, the certificate's digest aside: secretKeysOnly).
 */
export interface SessionStoreClientCert {
  secret: string;
  certDigest: string;
}

/** The keys of a kubernetes.io/tls Secret. */
const TLS_SECRET_KEYS = ['tls.crt', 'tls.key'] as const;

type CaBundleReason = Extract<CaBundleCheck, { ok: false }>['reason'];

export interface SessionStorageProblem {
  reason:
    | 'SessionStorageInvalid'
    | 'SessionStoragePasswordSecretNotFound'
    | 'SessionStorageClientCertSecretNotFound'
    | `SessionStorage${CaBundleReason}`;
  message: string;
}

const field = 'spec.sessionStorage';

/** The store the spec asks for, or why it cannot be used. */
export function sessionStorage(
  vmcp: VirtualMCPServer,
  secrets: Readonly<Record<string, SecretKeys | null>>,
  configMaps: Readonly<Record<string, ConfigMap | null>> = {},
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
  const caRef = spec.caBundleRef;
  let ca: SessionStoreCa | undefined;
  if (caRef) {
    // The CRD refuses this too; a stored object from before the rule, or a cluster without CEL, still gets told.
    if (!spec.tls)
      return invalid(
        `${field}.caBundleRef is set but ${field}.tls is not: a CA is only used for rediss, set tls: true`,
      );
    const configMap = configMaps[caRef.name] ?? null;
    const check = checkCaBundle(caRef, configMap, `${field}.caBundleRef`);
    if (!check.ok) return { problem: { reason: `SessionStorage${check.reason}`, message: check.message } };
    const key = caRef.key || DEFAULT_CA_BUNDLE_KEY;
    const content = configMap?.data?.[key] ?? configMap?.binaryData?.[key] ?? '';
    ca = { configMap: caRef.name, key, content };
  }
  const certRef = spec.clientCertSecretRef;
  let clientCert: SessionStoreClientCert | undefined;
  if (certRef) {
    if (!spec.tls)
      return invalid(
        `${field}.clientCertSecretRef is set but ${field}.tls is not: a client certificate is only used for rediss, set tls: true`,
      );
    const secret = secrets[certRef.name];
    const missing = TLS_SECRET_KEYS.filter((k) => !secret?.keys.includes(k));
    if (!secret || missing.length > 0) {
      const what = secret
        ? `has no key ${missing.map((k) => `"${k}"`).join(' and no key ')}`
        : 'does not exist in this namespace';
      return {
        problem: {
          reason: 'SessionStorageClientCertSecretNotFound',
          message: `Secret "${certRef.name}" (${field}.clientCertSecretRef) ${what}; it needs tls.crt and tls.key, as a kubernetes.io/tls Secret (cert-manager's) has`,
        },
      };
    }
    clientCert = { secret: certRef.name, certDigest: secret.tlsCertDigest ?? '' };
  }
  return {
    storage: {
      provider: 'redis',
      url: sessionStoreUrl(parsed.address),
      passwordRef: ref ? { name: ref.name, key: ref.key } : undefined,
      ...(ca ? { ca } : {}),
      ...(clientCert ? { clientCert } : {}),
    },
  };
}

/**
 * The ConfigMap the spec's CA bundle lives in, for the reconcile's references; none unless the provider is redis (a
 * caBundleRef left under another provider is not used, so not watched).
 */
export function sessionStorageConfigMapName(vmcp: VirtualMCPServer): string | undefined {
  const spec = vmcp.spec.sessionStorage;
  return spec?.provider === 'redis' ? spec.caBundleRef?.name : undefined;
}

/**
 * Where the pod mounts the CA bundle (read-only, as the endpoints' CA bundles are mounted) and so the file the config
 * names; none without a caBundleRef.
 */
export function sessionStorageCaMount(
  storage: SessionStorage,
): Pick<CaMount, 'volume' | 'dir' | 'path' | 'configMap' | 'key'> | undefined {
  if (storage.provider !== 'redis' || !storage.ca) return undefined;
  return { ...SESSION_STORE_CA, configMap: storage.ca.configMap, key: storage.ca.key };
}

/**
 * The Secrets the spec names (password, client certificate), for the reconcile's references; none unless the provider
 * is redis (a reference left under another provider is not used, so not watched).
 */
export function sessionStorageSecretNames(vmcp: VirtualMCPServer): string[] {
  const spec = vmcp.spec.sessionStorage;
  if (spec?.provider !== 'redis') return [];
  return [spec.passwordRef?.name, spec.clientCertSecretRef?.name].filter((n): n is string => Boolean(n));
}

/** The client certificate's Secret keys, mounted as Secret files; none without a clientCertSecretRef. */
export function sessionStorageSecretFiles(storage: SessionStorage): SecretKeyRef[] {
  if (storage.provider !== 'redis' || !storage.clientCert) return [];
  const name = storage.clientCert.secret;
  return TLS_SECRET_KEYS.map((key) => ({ name, key }));
}

/**
 * The password's environment variable: the one exception to "Secrets as files", which the store's client reads once.
 */
export function sessionStorageEnv(storage: SessionStorage): PodEnvVar[] {
  if (storage.provider !== 'redis' || !storage.passwordRef) return [];
  return [{ name: sessionStorePasswordEnv, valueFrom: { secretKeyRef: { ...storage.passwordRef } } }];
}
