// The pod template's checksum annotation: one hash over everything the gateway reads at startup that is not already
// spelled out in the pod template (the config file's text, the CA bundles' contents) plus the secret references, so
// the pods roll exactly when the gateway would start differently, and an unchanged reconcile changes nothing.
import { createHash } from 'node:crypto';
import type { CaMount, SecretEnv } from './vmcp-backends.ts';

export function configChecksum(parts: {
  yaml: string;
  env: readonly SecretEnv[];
  caMounts: readonly CaMount[];
}): string {
  const canonical = JSON.stringify({
    config: parts.yaml,
    env: parts.env.map((e) => [e.name, e.secret.name, e.secret.key]),
    ca: parts.caMounts.map((c) => [c.endpoint, c.configMap, c.key, sha256(c.content)]),
  });
  return `sha256:${sha256(canonical)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
