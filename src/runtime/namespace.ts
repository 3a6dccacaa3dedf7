// Which namespace a process works in when the caller does not say: every command that needs one (the operator's
// Lease, the gateway's Lease and group discovery, the gateway's VirtualMCPServer status reporter) asks here, each with
// its own order of sources and its own message for when none is set.
import { readFileSync } from 'node:fs';

/** The namespace of the pod this process runs in, as the kubelet mounts it with the service-account token. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** This pod's own namespace; undefined outside a pod (no service-account mount). */
export function podNamespace(file = SERVICE_ACCOUNT_NAMESPACE_FILE): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first of `before` that is set, else this pod's own namespace, else the first of `after` that is set; an error
 * carrying `missing` (which should say how to set one) when none is.
 */
export function resolveNamespace(sources: {
  before: readonly (string | undefined)[];
  after?: readonly (string | undefined)[];
  missing: string;
  /** Where the pod's namespace is mounted (tests). */
  podFile?: string;
}): string {
  const namespace =
    sources.before.find((ns) => ns) ?? podNamespace(sources.podFile) ?? (sources.after ?? []).find((ns) => ns);
  if (!namespace) throw new Error(sources.missing);
  return namespace;
}
