// The light kubeconfig reader against @kubernetes/client-node's KubeConfig on the same files: same server, same TLS
// material, same bearer token; shapes it does not read are left to client-node.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type HttpsOptionsLike,
  inClusterTarget,
  type KubeTarget,
  kubeconfigFromFile,
  simpleKubeconfig,
} from '../../../src/runtime/kube/kubeconfig.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(dir: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const file = join(dir, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'main',
      contexts: [
        { name: 'other', context: { cluster: 'other', user: 'other' } },
        { name: 'main', context: { cluster: 'c', user: 'u' } },
      ],
      clusters: [
        { name: 'other', cluster: { server: 'https://wrong.example:6443' } },
        { name: 'c', cluster },
      ],
      users: [
        { name: 'other', user: { token: 'wrong' } },
        { name: 'u', user },
      ],
    }),
  );
  return file;
}

async function seen(kc: KubeTarget) {
  const o: HttpsOptionsLike = {};
  await kc.applyToHTTPSOptions(o);
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    server: kc.getCurrentCluster()?.server,
    ca: text(o.ca),
    cert: text(o.cert),
    key: text(o.key),
    authorization: o.headers?.Authorization,
    rejectUnauthorized: o.rejectUnauthorized,
    servername: o.servername,
  };
}

async function both(file: string) {
  const reference = new KubeConfig();
  reference.loadFromFile(file);
  return { light: await seen(await kubeconfigFromFile(file)), reference: await seen(reference) };
}

describe('kubeconfig reader', () => {
  it('client certificate and CA given inline: the same as client-node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const file = kubeconfig(
      dir,
      { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': b64('CA PEM') },
      { 'client-certificate-data': b64('CERT PEM'), 'client-key-data': b64('KEY PEM') },
    );
    const { light, reference } = await both(file);
    expect(light).toEqual(reference);
    expect(light).toMatchObject({ server: 'https://127.0.0.1:6443', ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
  });

  it('files relative to the kubeconfig, a token, no verification, a TLS server name: the same as client-node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    writeFileSync(join(dir, 'ca.crt'), 'CA FILE');
    writeFileSync(join(dir, 'client.crt'), 'CERT FILE');
    writeFileSync(join(dir, 'client.key'), 'KEY FILE');
    const file = kubeconfig(
      dir,
      {
        server: 'https://api.example:6443',
        'certificate-authority': 'ca.crt',
        'insecure-skip-tls-verify': true,
        'tls-server-name': 'kubernetes.default',
      },
      { 'client-certificate': 'client.crt', 'client-key': join(dir, 'client.key'), token: 'tok-123' },
    );
    const { light, reference } = await both(file);
    expect(light).toEqual(reference);
    expect(light).toMatchObject({ ca: 'CA FILE', cert: 'CERT FILE', authorization: 'Bearer tok-123' });
  });

  it('leaves exec plugins, basic auth and proxies to client-node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const server = { server: 'https://api.example:6443' };
    const exec = kubeconfig(dir, server, { exec: { command: 'true', apiVersion: 'client.authentication.k8s.io/v1' } });
    expect(simpleKubeconfig(readFileSync(exec, 'utf8'), exec)).toBeUndefined();
    const basic = kubeconfig(dir, server, { username: 'u', password: 'p' });
    expect(simpleKubeconfig(readFileSync(basic, 'utf8'), basic)).toBeUndefined();
    const proxy = kubeconfig(dir, { ...server, 'proxy-url': 'http://proxy:3128' }, { token: 't' });
    expect(simpleKubeconfig(readFileSync(proxy, 'utf8'), proxy)).toBeUndefined();
  });

  it('in the cluster: the service account token and CA, re-read on every call, like client-node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'ca.crt'), 'SA CA');
    writeFileSync(join(dir, 'token'), 'first\n');
    const target = inClusterTarget({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    expect(await seen(target)).toMatchObject({
      server: 'https://[fd00::1]:443',
      ca: 'SA CA',
      authorization: 'Bearer first',
    });
    writeFileSync(join(dir, 'token'), 'rotated');
    expect((await seen(target)).authorization).toBe('Bearer rotated');
  });
});
