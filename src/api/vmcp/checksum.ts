// The pod template's checksum annotation: one hash over what the gateway reads at startup that is not already spelled
// out in the pod template (the config file's text, the CA bundles' contents, the session store's CA), so the pods
// roll exactly when the gateway would start differently, and an unchanged reconcile changes nothing. Which Secret
// keys are mounted is in the template itself (its volumes); their values are not covered on purpose: the gateway
// re-reads the mounted files when the kubelet updates them, so a rotated Secret needs no rollout. The session store's
// client certificate is covered too (the digest of its certificate, which is public): the gateway takes up a renewal
// by itself, and the rollout also covers gateway images from before it did.
import { createHash } from 'node:crypto';
import type { CaMount } from './backends.ts';
import type { SessionStoreClientCert } from './session-storage.ts';

export function configChecksum(parts: {
  yaml: string;
  caMounts: readonly CaMount[];
  sessionStoreCa?: string;
  sessionStoreClientCert?: SessionStoreClientCert;
}): string {
  const canonical = JSON.stringify({
    config: parts.yaml,
    ca: parts.caMounts.map((c) => [c.endpoint, c.configMap, c.key, sha256(c.content)]),
    // Each absent without one, so the checksum of every other pod stays what it was.
    ...(parts.sessionStoreCa !== undefined ? { sessionStoreCa: sha256(parts.sessionStoreCa) } : {}),
    ...(parts.sessionStoreClientCert !== undefined
      ? { sessionStoreClientCert: [parts.sessionStoreClientCert.secret, parts.sessionStoreClientCert.certDigest] }
      : {}),
  });
  return `sha256:${sha256(canonical)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
