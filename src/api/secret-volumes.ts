// How Secret values reach the pods the operator creates (gateways and proxies): as files, not as environment
// variables (the two exceptions, the session store's password and OTLP headers, are secretKeyRef variables because
// their readers take them once at startup: vmcp/session-storage.ts, telemetry-env.ts). Each referenced Secret is
// one read-only volume with items for exactly the referenced keys, mounted at /etc/mcpre/secrets/<secret-name>, so a
// key's file has a stable path the config can name. The kubelet updates such a
// volume in place when the Secret changes (it swaps the `..data` symlink), and the gateway reads the files again: a
// rotated Secret takes effect without a restart (the session store's client certificate too, and its renewal also
// rolls the pods: vmcp/checksum.ts). The files are 0440 and belong to the pod's fsGroup, which the kubelet adds to
// the container's groups, so the container can read them whatever user it runs as, and nobody else can.
import { createHash } from 'node:crypto';

export const SECRET_MOUNT_ROOT = '/etc/mcpre/secrets';
/** r--r----- */
export const SECRET_FILE_MODE = 0o440;
/** The group mounted Secret files belong to (the image's own group, 65532). */
export const SECRET_FS_GROUP = 65532;

export interface SecretKeyRef {
  name: string;
  key: string;
}

/** The file a Secret key is mounted at. */
export function secretFilePath(ref: SecretKeyRef): string {
  return `${SECRET_MOUNT_ROOT}/${ref.name}/${ref.key}`;
}

export interface SecretMounts {
  volumes: Array<Record<string, unknown>>;
  volumeMounts: Array<Record<string, unknown>>;
}

/** One volume and one mount per Secret, with the referenced keys as items; sorted, whatever the order of `refs`. */
export function secretMounts(refs: Iterable<SecretKeyRef>): SecretMounts {
  const keysBySecret = new Map<string, Set<string>>();
  for (const ref of refs) keysBySecret.set(ref.name, (keysBySecret.get(ref.name) ?? new Set()).add(ref.key));
  const out: SecretMounts = { volumes: [], volumeMounts: [] };
  for (const name of [...keysBySecret.keys()].sort()) {
    const volume = secretVolumeName(name);
    const items = [...(keysBySecret.get(name) ?? [])].sort().map((key) => ({ key, path: key }));
    out.volumes.push({ name: volume, secret: { secretName: name, items, defaultMode: SECRET_FILE_MODE } });
    out.volumeMounts.push({ name: volume, mountPath: `${SECRET_MOUNT_ROOT}/${name}`, readOnly: true });
  }
  return out;
}

/** The pod securityContext fields that let the container read its Secret files. */
export function secretReadingPodSecurity(mounts: SecretMounts): Record<string, unknown> {
  return mounts.volumes.length > 0 ? { fsGroup: SECRET_FS_GROUP } : {};
}

/**
 * `secret-<name>` when that is a DNS label (volume names must be); a Secret name with dots or too long for one gets a
 * hash of the name instead, so two Secrets never share a volume.
 */
function secretVolumeName(secretName: string): string {
  const readable = `secret-${secretName}`;
  if (readable.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(readable)) return readable;
  return `secret-${createHash('sha256').update(secretName).digest('hex').slice(0, 16)}`;
}
