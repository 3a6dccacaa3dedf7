// The objects a VirtualMCPServer gets: RBAC per mode, env and volumes on the Deployment (Secrets as files, never as
// environment variables), and a checksum that moves exactly when what the gateway reads at startup moves.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { planVmcp } from '../../../src/api/vmcp/decision.ts';
import type { VmcpManifest } from '../../../src/api/vmcp/objects.ts';
import type { VmcpSnapshot } from '../../../src/api/vmcp/snapshot.ts';
import { authConfig, CA_PEM, configMap, direct, NS, proxy, secret, snapshot, vmcp } from './fixtures.ts';

const settings = { image: 'mcpre:test' };
const search = (secretName = 'creds') =>
  direct('search', {
    headerForward: {
      addHeadersFromSecret: [
        { headerName: 'X-API-Key', valueSecretRef: { name: secretName, key: 'k' } },
        { headerName: 'A-First', valueSecretRef: { name: secretName, key: 'k' } },
      ],
    },
    caBundleRef: { name: 'ca' },
  });
const world = (endpoints = [search(), proxy('wiki', 'http://wiki.svc:8080/mcp')], ca = CA_PEM) =>
  snapshot(vmcp('gw', { replicas: 4 }), endpoints, {
    secrets: [secret('creds', ['k']), secret('creds2', ['k'])],
    configMaps: [configMap('ca', { 'ca.crt': ca })],
  });

function desired(s: VmcpSnapshot): VmcpManifest[] {
  const plan = planVmcp(s, settings);
  if (plan.kind !== 'apply') throw new Error(`unexpected plan ${plan.kind}`);
  return plan.desired;
}
const byKind = (list: VmcpManifest[], kind: string) => list.find((m) => m.kind === kind) as VmcpManifest;
// biome-ignore lint/suspicious/noExplicitAny: tests read manifests loosely
const pod = (list: VmcpManifest[]): any => (byKind(list, 'Deployment').spec as any).template;
const checksum = (list: VmcpManifest[]) =>
  pod(list).metadata.annotations['mcpre.toolhive.stacklok.dev/config-checksum'];

describe('gateway objects', () => {
  it('renders SA, Role, RoleBinding, ConfigMap, Deployment and Service, in apply order, all owned', () => {
    const list = desired(world());
    expect(list.map((m) => m.kind)).toEqual([
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
    ]);
    for (const m of list) {
      expect(m.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'toolhive.stacklok.dev/v1alpha1',
          kind: 'VirtualMCPServer',
          name: 'gw',
          uid: 'uid-gw',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(m.metadata.namespace).toBe(NS);
    }
  });

  it('mounts config and CA, sets no secret env var, holds replicas at 1', () => {
    const list = desired(world());
    const spec = byKind(list, 'Deployment').spec as { replicas: number; strategy: { type: string } };
    expect(spec.replicas).toBe(1);
    // The Lease holder is the only ready pod: a rolling update could never finish, so the old pod stops first.
    expect(spec.strategy).toEqual({ type: 'Recreate' });
    const c = pod(list).spec.containers[0];
    expect(c.env).toEqual([
      { name: 'MCPRE_VMCP_NAME', value: 'gw' },
      { name: 'MCPRE_VMCP_NAMESPACE', value: NS },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    expect(c.volumeMounts.slice(0, 2)).toEqual([
      { name: 'config', mountPath: '/etc/mcpre/vmcp', readOnly: true },
      { name: 'ca-bundle-search', mountPath: '/etc/toolhive/ca-bundles/search', readOnly: true },
    ]);
    expect(pod(list).spec.volumes.slice(0, 2)).toEqual([
      { name: 'config', configMap: { name: 'vmcp-gw-config', items: [{ key: 'config.yaml', path: 'config.yaml' }] } },
      { name: 'ca-bundle-search', configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
  });

  it('mounts each referenced Secret read-only with items for its keys, and the config points at the files', () => {
    const endpoints = [
      search(),
      proxy('wiki', 'http://wiki.svc:8080/mcp', { externalAuthConfigRef: { name: 'key' } }),
      direct('docs.v2', { externalAuthConfigRef: { name: 'sts' } }),
    ];
    const s = snapshot(vmcp('gw'), endpoints, {
      secrets: [secret('creds', ['k', 'unused']), secret('wiki-token', ['token']), secret('sts.client', ['id', 's'])],
      configMaps: [configMap('ca', { 'ca.crt': CA_PEM })],
      authConfigs: [
        authConfig('key', {
          type: 'headerInjection',
          headerInjection: { headerName: 'Authorization', valueSecretRef: { name: 'wiki-token', key: 'token' } },
        }),
        authConfig('sts', {
          type: 'tokenExchange',
          tokenExchange: {
            tokenUrl: 'https://sts.example.com/token',
            audience: 'docs',
            clientSecretRef: { name: 'sts.client', key: 's' },
          },
        }),
      ],
    });
    const list = desired(s);
    const template = pod(list);
    const c = template.spec.containers[0];
    // No variable carries a secret, by value or by reference.
    expect(c.env.every((e: { valueFrom?: Record<string, unknown> }) => !e.valueFrom?.secretKeyRef)).toBe(true);
    expect(JSON.stringify(list)).not.toContain('secretKeyRef');
    // One volume per Secret, only the referenced keys, owner-and-group read only.
    const secretVolumes = template.spec.volumes.filter((v: { secret?: unknown }) => v.secret);
    expect(secretVolumes).toEqual([
      {
        name: 'secret-creds',
        secret: { secretName: 'creds', items: [{ key: 'k', path: 'k' }], defaultMode: 0o440 },
      },
      {
        name: expect.stringMatching(/^secret-[0-9a-f]{16}$/),
        secret: { secretName: 'sts.client', items: [{ key: 's', path: 's' }], defaultMode: 0o440 },
      },
      {
        name: 'secret-wiki-token',
        secret: { secretName: 'wiki-token', items: [{ key: 'token', path: 'token' }], defaultMode: 0o440 },
      },
    ]);
    for (const v of secretVolumes) {
      expect(c.volumeMounts).toContainEqual({
        name: v.name,
        mountPath: `/etc/mcpre/secrets/${v.secret.secretName}`,
        readOnly: true,
      });
    }
    // The files belong to the pod's fsGroup, so the container's user can read them under the restricted profile.
    expect(template.spec.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      fsGroup: 65532,
    });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    // The ConfigMap's config names those files.
    const config = parseYaml((byKind(list, 'ConfigMap').data as Record<string, string>)['config.yaml'] ?? '');
    const byName = Object.fromEntries(config.backends.map((b: { name: string }) => [b.name, b]));
    expect(byName.search.headerFiles).toEqual({
      'X-API-Key': '/etc/mcpre/secrets/creds/k',
      'A-First': '/etc/mcpre/secrets/creds/k',
    });
    expect(byName.search.headerEnvVars).toBeUndefined();
    expect(byName.wiki.auth).toEqual({
      type: 'headerInjection',
      headerName: 'Authorization',
      valueFile: '/etc/mcpre/secrets/wiki-token/token',
    });
    expect(byName[Object.keys(byName).find((n) => n.startsWith('docs')) ?? ''].auth).toMatchObject({
      type: 'tokenExchange',
      clientSecretFile: '/etc/mcpre/secrets/sts.client/s',
    });
  });

  it('adds no Secret volume and no fsGroup when no member reads a Secret', () => {
    const template = pod(desired(world([proxy('wiki', 'http://wiki.svc:8080/mcp')])));
    expect(template.spec.volumes.map((v: { name: string }) => v.name)).toEqual(['config']);
    expect(template.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('runs spec.replicas when the group has no direct endpoint', () => {
    const list = desired(world([proxy('wiki', 'http://wiki.svc:8080/mcp')]));
    expect((byKind(list, 'Deployment').spec as { replicas: number }).replicas).toBe(4);
  });

  it('moves the checksum on a changed secret ref or CA content, and not on a re-render or a member order change', () => {
    const base = checksum(desired(world()));
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(checksum(desired(world()))).toBe(base);
    expect(checksum(desired(world([proxy('wiki', 'http://wiki.svc:8080/mcp'), search()])))).toBe(base);
    expect(checksum(desired(world([search('creds2'), proxy('wiki', 'http://wiki.svc:8080/mcp')])))).not.toBe(base);
    // The CA bundle's content, not only its reference, is part of what the gateway reads at startup.
    expect(checksum(desired(world(undefined, `${CA_PEM}\n`)))).not.toBe(base);
  });

  it('grants no Secret access in inline mode, and read-only watch access in discovered mode', () => {
    const inline = byKind(desired(world()), 'Role').rules as Array<{ resources: string[]; verbs: string[] }>;
    expect(inline.some((r) => r.resources.includes('secrets'))).toBe(false);
    expect(inline).toContainEqual({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'update'],
      resourceNames: ['vmcp-gw'],
    });
    const s = world();
    s.vmcp = vmcp('gw', { outgoingAuth: { source: 'discovered' } });
    const discovered = byKind(desired(s), 'Role').rules as Array<{ resources: string[]; verbs: string[] }>;
    const secrets = discovered.find((r) => r.resources.includes('secrets'));
    expect(secrets?.verbs).toEqual(['get', 'list', 'watch']);
    for (const r of discovered) {
      const writes = r.verbs.filter((v) => !['get', 'list', 'watch'].includes(v));
      if (writes.length === 0) continue;
      // The only writes: the Lease, and status subresources.
      expect(r.resources.every((x) => x === 'leases' || x.endsWith('/status'))).toBe(true);
    }
    const args = pod(desired(s)).spec.containers[0].args;
    expect(args.slice(-4)).toEqual(['--namespace', NS, '--group', 'team']);
  });

  it('re-applies nothing when the caches already hold what it would apply', () => {
    const s = world();
    const first = planVmcp(s, settings);
    if (first.kind !== 'apply') throw new Error(first.kind);
    expect(first.apply).toHaveLength(6);
    for (const m of first.desired) s.owned[m.kind] = m;
    const second = planVmcp(s, settings);
    expect(second.kind === 'apply' && second.apply.length).toBe(0);
  });
});
