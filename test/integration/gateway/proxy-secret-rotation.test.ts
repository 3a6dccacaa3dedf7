// The proxy pod of a `type: proxy` endpoint follows a rotated Secret without a restart: `mcpre gateway --proxy-mode`
// runs as a real process from exactly the Deployment the operator renders (its args and environment), with its Secret
// volumes laid out as the kubelet writes them (`..data` swapped to a new timestamped directory, keys as symlinks into
// it), in front of a real backend on 127.0.0.1 that records the credential each call carries. A client keeps one
// session open across the rotation.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, ExternalAuthConfig } from '../../../src/api/endpoint/model.ts';
import { ProxyEnv, renderProxyObjects } from '../../../src/api/endpoint/proxy-objects.ts';
import { freePort } from '../../../src/control-plane/free-port.ts';
import { type OidcIssuer, startOidcIssuer } from '../../fixtures/mcp/oidc-issuer.ts';
import { type RunningChild, servingUrl, spawnMcpre, waitForReadyz } from '../../support/child-process.ts';
import { waitForRotatedValue, writeAtomicVolume } from '../../support/kubelet-volume.ts';
import { type McpBackend, startMcpBackend } from '../vmcp/harness.ts';

const GV = 'toolhive.stacklok.dev/v1alpha1';
const token1 = `upstream-${randomUUID()}`;
const token2 = `upstream-rotated-${randomUUID()}`;
const tenantKey = `tenant-${randomUUID()}`;
/** What the remote accepts; a rotation adds the new token and later revokes the old one. */
const acceptedTokens = [token1];
/** The Secrets as the API server holds them (name -> key -> value). */
const secrets: Record<string, Record<string, string>> = {
  'upstream-token': { token: token1 },
  'tenant-key': { key: tenantKey },
};

describe('mcpre gateway --proxy-mode: secret rotation', () => {
  let idp: OidcIssuer;
  let backend: McpBackend;
  let dir: string;
  let proxy: RunningChild | undefined;

  beforeAll(async () => {
    idp = await startOidcIssuer();
    backend = await startMcpBackend({
      label: 'remote',
      requireHeaders: { 'X-Upstream-Token': acceptedTokens, 'X-Tenant-Key': tenantKey },
      recordHeader: 'X-Upstream-Token',
    });
    dir = await mkdtemp(join(tmpdir(), 'proxy-pod-'));
  });

  afterAll(async () => {
    await proxy?.stop();
    await backend?.close();
    await idp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('Rotating a Secret used by a proxy pod changes the header the backend receives within a minute, with no restart and no client session lost', async () => {
    const port = await freePort();
    const endpoint: Endpoint = {
      apiVersion: GV,
      kind: 'MCPRemoteEndpoint',
      metadata: { name: 'remote-api', namespace: 'tools', uid: 'uid-remote-api', generation: 1 },
      spec: {
        type: 'proxy',
        remoteURL: backend.url,
        transport: 'streamable-http',
        groupRef: 'team',
        headerForward: {
          addHeadersFromSecret: [{ headerName: 'X-Tenant-Key', valueSecretRef: { name: 'tenant-key', key: 'key' } }],
        },
        externalAuthConfigRef: { name: 'upstream' },
        proxyConfig: {
          proxyPort: port,
          oidcConfig: { type: 'inline', inline: { issuer: idp.issuer, audience: 'remote-api', jwksUrl: idp.jwksUrl } },
        },
      },
    };
    const auth: ExternalAuthConfig = {
      apiVersion: GV,
      kind: 'MCPExternalAuthConfig',
      metadata: { name: 'upstream', namespace: 'tools' },
      spec: {
        type: 'headerInjection',
        headerInjection: { headerName: 'X-Upstream-Token', valueSecretRef: { name: 'upstream-token', key: 'token' } },
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: the rendered Deployment is read loosely
    const deployment: any = renderProxyObjects(endpoint, auth, { image: 'mcpre:test' }).find(
      (o) => o.kind === 'Deployment',
    );
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(JSON.stringify(deployment)).not.toContain('secretKeyRef');

    // The kubelet's part: each Secret volume under the scratch directory (a chroot by hand: the environment's paths
    // are re-rooted the same way), written by the atomic swap.
    const root = join(dir, 'root');
    const volumes: Array<{ secret: string; dir: string; keys: string[] }> = [];
    const rerooted: Array<[string, string]> = [];
    for (const mount of container.volumeMounts as Array<{ name: string; mountPath: string }>) {
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      if (!volume.secret) continue;
      volumes.push({
        secret: volume.secret.secretName,
        dir: join(root, mount.mountPath),
        keys: volume.secret.items.map((i: { path: string }) => i.path),
      });
      rerooted.push([mount.mountPath, join(root, mount.mountPath)]);
    }
    expect(volumes.map((v) => v.secret).sort()).toEqual(['tenant-key', 'upstream-token']);
    const project = async () => {
      for (const v of volumes) {
        await writeAtomicVolume(v.dir, Object.fromEntries(v.keys.map((k) => [k, secrets[v.secret]?.[k] ?? ''])));
      }
    };
    await project();
    const podEnv: Record<string, string> = {};
    for (const e of container.env as Array<{ name: string; value: string }>) {
      podEnv[e.name] = rerooted.reduce((value, [from, to]) => value.replaceAll(from, to), e.value);
    }
    expect(podEnv[ProxyEnv.externalAuth]).toContain(join(root, '/etc/mcpre/secrets/upstream-token/token'));

    proxy = spawnMcpre([...container.args, '--address', '127.0.0.1'], { PATH: process.env.PATH, ...podEnv });
    const url = await servingUrl(proxy);
    const pid = proxy.child.pid;
    await waitForReadyz(url, proxy);

    const bearer = await idp.token({ sub: 'alice' }, { audience: 'remote-api', expiresIn: '10m' });
    const client = new Client({ name: 'proxy-rotation', version: '1' });
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    });
    await client.connect(transport);
    const sessionId = transport.sessionId;
    expect(sessionId).toBeTruthy();
    const failures: string[] = [];
    const call = async () => {
      try {
        const r = await client.callTool({ name: 'whoami', arguments: { greeting: 'hi' } });
        if (r.isError) failures.push(JSON.stringify(r.content));
      } catch (err) {
        failures.push(String(err));
      }
    };
    await call();
    expect(failures).toEqual([]);
    expect(backend.calls).toEqual([token1]);
    const backendSessions = backend.sessions.length;

    // Rotate: the remote accepts the new token, the Secret gets it, the kubelet swaps the volume.
    acceptedTokens.push(token2);
    secrets['upstream-token'] = { token: token2 };
    await project();
    const tookMs = await waitForRotatedValue({
      what: 'a proxy call carrying the rotated token',
      call,
      seen: () => backend.calls.at(-1) === token2,
      output: () => proxy?.stderr(),
    });
    expect(tookMs).toBeLessThan(60_000);

    // The old token is revoked; the same client session goes on.
    acceptedTokens.splice(acceptedTokens.indexOf(token1), 1);
    for (let i = 0; i < 3; i++) await call();
    expect(failures).toEqual([]);
    const firstRotated = backend.calls.indexOf(token2);
    expect(backend.calls.slice(0, firstRotated).every((t) => t === token1)).toBe(true);
    expect(backend.calls.slice(firstRotated).every((t) => t === token2)).toBe(true);
    expect(backend.calls.length - firstRotated).toBeGreaterThanOrEqual(4);
    expect(backend.sessions.length).toBe(backendSessions + 1);
    expect(transport.sessionId).toBe(sessionId);
    await client.close();
    expect(proxy.child.pid).toBe(pid);
    expect(proxy.child.exitCode).toBeNull();
    for (const value of [token1, token2, tenantKey]) expect(proxy.stderr()).not.toContain(value);
  }, 90_000);
});
