import { stringify } from 'yaml';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** An admin kubeconfig with everything embedded, named like envtest's so tools recognise it. */
export function adminKubeconfig(
  server: string,
  caPem: string,
  certPem: string,
  keyPem: string,
  user = 'admin',
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'mcpre-dev', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
    contexts: [{ name: 'mcpre-dev', context: { cluster: 'mcpre-dev', user, namespace: 'default' } }],
    'current-context': 'mcpre-dev',
  });
}
