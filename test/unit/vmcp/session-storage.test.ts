// spec.sessionStorage as the operator renders it: the store URL in the gateway config, the password only as a
// secretKeyRef environment variable, spec.replicas pods without the Lease, and conditions for bad input.

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { VirtualMCPServerSessionStorage } from '../../../src/api/generated/index.ts';
import { planVmcp, type VmcpPlan } from '../../../src/api/vmcp/decision.ts';
import type { VmcpManifest } from '../../../src/api/vmcp/objects.ts';
import { vmcpReferences } from '../../../src/api/vmcp/snapshot.ts';
import { desiredVmcpStatus } from '../../../src/api/vmcp/status.ts';
import { CA_PEM, configMap, direct, proxy, secret, snapshot, vmcp } from './fixtures.ts';

const settings = { image: 'mcpre:test' };
type Storage = VirtualMCPServerSessionStorage;
const redis = (extra: Partial<Storage> = {}): Storage => ({
  provider: 'redis',
  address: 'redis.tools.svc:6379',
  passwordRef: { name: 'redis-auth', key: 'password' },
  ...extra,
});
const members = [direct('search'), proxy('wiki', 'http://wiki.svc:8080/mcp')];
const plan = (
  storage: Storage | undefined,
  replicas = 3,
  secrets = [secret('redis-auth', ['password'])],
  configMaps = [configMap('redis-ca', { 'ca.crt': CA_PEM })],
): VmcpPlan =>
  planVmcp(
    snapshot(vmcp('gw', { replicas, ...(storage ? { sessionStorage: storage } : {}) }), members, {
      secrets,
      configMaps,
    }),
    settings,
  );
function applied(p: VmcpPlan): VmcpManifest[] {
  if (p.kind !== 'apply') throw new Error(`unexpected plan ${p.kind}`);
  return p.desired;
}
const byKind = (list: VmcpManifest[], kind: string) => list.find((m) => m.kind === kind) as VmcpManifest;
// biome-ignore lint/suspicious/noExplicitAny: tests read manifests loosely
const deployment = (list: VmcpManifest[]): any => byKind(list, 'Deployment').spec;
const config = (list: VmcpManifest[]) =>
  parseYaml((byKind(list, 'ConfigMap').data as Record<string, string>)['config.yaml'] ?? '');
const checksum = (list: VmcpManifest[]) =>
  deployment(list).template.metadata.annotations['mcpre.toolhive.stacklok.dev/config-checksum'];

describe('VirtualMCPServer spec.sessionStorage', () => {
  it('redis: spec.replicas pods, the store URL in the config, the password only from its Secret', () => {
    const p = plan(redis({ db: 2 }));
    const list = applied(p);
    const dep = deployment(list);
    expect(dep.replicas).toBe(3);
    expect(p.kind === 'apply' && p.replicas.condition).toMatchObject({
      type: 'SingleReplicaEnforced',
      status: 'False',
      reason: 'SharedSessionStore',
    });
    expect(config(list).sessionStore).toEqual({ url: 'redis://redis.tools.svc:6379/2' });
    expect(config(list).lease).toBeUndefined();
    const env = dep.template.spec.containers[0].env;
    expect(env.filter((e: { name: string }) => e.name === 'MCPRE_SESSION_STORE_PASSWORD')).toEqual([
      { name: 'MCPRE_SESSION_STORE_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } } },
    ]);
    // The Secret is named once, in that variable; no volume mounts it.
    expect(JSON.stringify(list).match(/redis-auth/g)).toHaveLength(1);
    expect(dep.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const role = byKind(list, 'Role').rules as { resources: string[] }[];
    expect(role.some((r) => r.resources.includes('leases'))).toBe(false);
  });

  it('tls and an IPv6 address make a rediss URL; no passwordRef means no password variable', () => {
    const list = applied(plan({ provider: 'redis', address: '[fd00::1]:6380', tls: true }));
    expect(config(list).sessionStore).toEqual({ url: 'rediss://[fd00::1]:6380' });
    const env = deployment(list).template.spec.containers[0].env as { name: string }[];
    expect(env.map((e) => e.name)).not.toContain('MCPRE_SESSION_STORE_PASSWORD');
  });

  it('memory, or no sessionStorage: one replica with direct endpoints, the Lease, Recreate, unchanged', () => {
    const without = applied(plan(undefined));
    const memory = applied(plan({ provider: 'memory' }));
    expect(memory).toEqual(without);
    const p = plan(undefined);
    expect(p.kind === 'apply' && p.replicas.condition).toMatchObject({
      status: 'True',
      reason: 'DirectEndpointsInGroup',
      message: expect.stringContaining('set spec.sessionStorage.provider redis'),
    });
    expect(deployment(without).replicas).toBe(1);
    expect(deployment(without).strategy).toEqual({ type: 'Recreate' });
    expect(config(without).lease).toMatchObject({ name: 'vmcp-gw' });
    expect(config(without).sessionStore).toBeUndefined();
    const role = byKind(without, 'Role').rules as { resources: string[] }[];
    expect(role.some((r) => r.resources.includes('leases'))).toBe(true);
  });

  it('moves the pod checksum when the store moves, and not on a re-render', () => {
    const a = checksum(applied(plan(redis())));
    expect(checksum(applied(plan(redis())))).toBe(a);
    expect(checksum(applied(plan(redis({ address: 'redis2.tools.svc:6379' }))))).not.toBe(a);
    expect(checksum(applied(plan(redis({ db: 1 }))))).not.toBe(a);
    expect(checksum(applied(plan(undefined)))).not.toBe(a);
  });

  it.each([
    [
      { address: 'redis.tools.svc' },
      'SessionStorageInvalid',
      'spec.sessionStorage.address "redis.tools.svc" has no port',
    ],
    [{ address: 'redis://redis:6379' }, 'SessionStorageInvalid', 'is host:port without a scheme'],
    [{ address: 'redis:99999' }, 'SessionStorageInvalid', 'is not host:port'],
    [{ address: 'redis:6379/1' }, 'SessionStorageInvalid', 'is not host:port'],
    [{ address: '' }, 'SessionStorageInvalid', 'spec.sessionStorage.address is required with provider redis'],
    [{ address: ':hunter2@redis:6379' }, 'SessionStorageInvalid', 'may not carry credentials'],
  ])('refuses %o with a condition (%s)', (bad, reason, text) => {
    const p = plan(redis(bad));
    expect(p).toMatchObject({ kind: 'invalid', reason, message: expect.stringContaining(text) });
    if (p.kind !== 'invalid') throw new Error('not invalid');
    expect(p.message).not.toContain('hunter2');
    const status = desiredVmcpStatus(vmcp('gw'), {
      kind: 'invalidConfig',
      reason: p.reason,
      message: p.message,
      replicas: p.replicas.condition,
      backends: p.backends,
    });
    expect(status.phase).toBe('Failed');
    expect(status.conditions.find((c) => c.type === 'ConfigurationValid')).toMatchObject({
      status: 'False',
      reason,
      message: expect.stringContaining(text),
    });
  });

  it('tls with caBundleRef: the CA mounted read-only, its file in the config, a new CA rolls the pods', () => {
    const withCa = redis({ tls: true, caBundleRef: { name: 'redis-ca' } });
    const list = applied(plan(withCa));
    expect(config(list).sessionStore).toEqual({
      url: 'rediss://redis.tools.svc:6379',
      caFile: '/etc/mcpre/session-store-ca/ca.crt',
    });
    const pod = deployment(list).template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'session-store-ca',
      configMap: { name: 'redis-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: 'session-store-ca',
      mountPath: '/etc/mcpre/session-store-ca',
      readOnly: true,
    });
    // Another key is mounted under the same file name.
    const keyed = applied(
      plan(redis({ tls: true, caBundleRef: { name: 'redis-ca', key: 'bundle.pem' } }), 3, undefined, [
        configMap('redis-ca', { 'bundle.pem': CA_PEM }),
      ]),
    );
    expect(deployment(keyed).template.spec.volumes).toContainEqual({
      name: 'session-store-ca',
      configMap: { name: 'redis-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] },
    });
    expect(config(keyed).sessionStore.caFile).toBe('/etc/mcpre/session-store-ca/ca.crt');
    const sum = checksum(list);
    expect(checksum(applied(plan(withCa)))).toBe(sum);
    const changed = [configMap('redis-ca', { 'ca.crt': `${CA_PEM}${CA_PEM}` })];
    expect(checksum(applied(plan(withCa, 3, undefined, changed)))).not.toBe(sum);
    // Without a caBundleRef nothing is mounted.
    const plain = applied(plan(redis({ tls: true })));
    expect(JSON.stringify(deployment(plain))).not.toContain('session-store-ca');
  });

  it.each([
    [[], 'SessionStorageCABundleNotFound', 'ConfigMap "redis-ca" (spec.sessionStorage.caBundleRef) does not exist'],
    [
      [configMap('redis-ca', { other: CA_PEM })],
      'SessionStorageCABundleKeyNotFound',
      'has no key "ca.crt" (it has: "other"); set spec.sessionStorage.caBundleRef.key',
    ],
    [[configMap('redis-ca', { 'ca.crt': 'not pem' })], 'SessionStorageCABundleNotPEM', 'holds no PEM certificate'],
  ])('refuses an unusable CA bundle with a condition (%#: %s)', (configMaps, reason, text) => {
    const p = plan(redis({ tls: true, caBundleRef: { name: 'redis-ca' } }), 3, undefined, configMaps);
    expect(p).toMatchObject({ kind: 'invalid', reason, message: expect.stringContaining(text) });
  });

  it('wakes on a change of the CA ConfigMap, in either discovery mode', () => {
    for (const source of ['inline', 'discovered'] as const) {
      const v = vmcp('gw', {
        outgoingAuth: { source },
        sessionStorage: redis({ tls: true, caBundleRef: { name: 'redis-ca' } }),
      });
      expect(vmcpReferences(snapshot(v, members))).toContain('ConfigMap:team-a/redis-ca');
    }
  });

  it('refuses caBundleRef without tls', () => {
    expect(plan(redis({ caBundleRef: { name: 'redis-ca' } }))).toMatchObject({
      kind: 'invalid',
      reason: 'SessionStorageInvalid',
      message: expect.stringContaining('spec.sessionStorage.caBundleRef is set but spec.sessionStorage.tls is not'),
    });
  });

  it('tls with clientCertSecretRef: tls.crt and tls.key as Secret files, named in the config; a renewal rolls the pods', () => {
    const withCert = redis({ tls: true, clientCertSecretRef: { name: 'gw-redis-client' } });
    // As the informer keeps it (secretKeysOnly): key names, the certificate's digest, metadata.
    const tlsSecret = (certDigest: string, resourceVersion: string) => ({
      ...secret('gw-redis-client', ['ca.crt', 'tls.crt', 'tls.key']),
      metadata: { name: 'gw-redis-client', namespace: 'team-a', resourceVersion },
      tlsCertDigest: certDigest,
    });
    const secrets = (digest: string, rv = '7') => [secret('redis-auth', ['password']), tlsSecret(digest, rv)];
    const list = applied(plan(withCert, 3, secrets('d1')));
    expect(config(list).sessionStore).toEqual({
      url: 'rediss://redis.tools.svc:6379',
      certFile: '/etc/mcpre/secrets/gw-redis-client/tls.crt',
      keyFile: '/etc/mcpre/secrets/gw-redis-client/tls.key',
    });
    const pod = deployment(list).template.spec;
    // Only the two keys, 0440, readable through the pod's fsGroup: as every Secret file (secret-volumes.ts).
    expect(pod.volumes).toContainEqual({
      name: 'secret-gw-redis-client',
      secret: {
        secretName: 'gw-redis-client',
        items: [
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
        ],
        defaultMode: 0o440,
      },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: 'secret-gw-redis-client',
      mountPath: '/etc/mcpre/secrets/gw-redis-client',
      readOnly: true,
    });
    expect(pod.securityContext.fsGroup).toBe(65532);
    // A renewed certificate (a new digest) rolls the pods; another write to the Secret (a label: a new resourceVersion,
    // the same certificate) does not.
    const sum = checksum(list);
    expect(checksum(applied(plan(withCert, 3, secrets('d1'))))).toBe(sum);
    expect(checksum(applied(plan(withCert, 3, secrets('d1', '8'))))).toBe(sum);
    expect(checksum(applied(plan(withCert, 3, secrets('d2'))))).not.toBe(sum);
    expect(checksum(applied(plan(redis({ tls: true }), 3, secrets('d1'))))).not.toBe(sum);
    // The Secret wakes the reconcile, in either discovery mode.
    for (const source of ['inline', 'discovered'] as const) {
      const v = vmcp('gw', { outgoingAuth: { source }, sessionStorage: withCert });
      expect(vmcpReferences(snapshot(v, members))).toContain('Secret:team-a/gw-redis-client');
    }
  });

  it('refuses a client certificate Secret that is missing or lacks a key, and one without tls', () => {
    const withCert = redis({ tls: true, clientCertSecretRef: { name: 'gw-redis-client' } });
    const auth = secret('redis-auth', ['password']);
    expect(plan(withCert, 3, [auth])).toMatchObject({
      kind: 'invalid',
      reason: 'SessionStorageClientCertSecretNotFound',
      message: expect.stringContaining(
        'Secret "gw-redis-client" (spec.sessionStorage.clientCertSecretRef) does not exist in this namespace; it needs tls.crt and tls.key',
      ),
    });
    expect(plan(withCert, 3, [auth, secret('gw-redis-client', ['tls.crt'])])).toMatchObject({
      reason: 'SessionStorageClientCertSecretNotFound',
      message: expect.stringContaining('has no key "tls.key";'),
    });
    expect(plan(redis({ clientCertSecretRef: { name: 'gw-redis-client' } }), 3, [auth])).toMatchObject({
      reason: 'SessionStorageInvalid',
      message: expect.stringContaining(
        'spec.sessionStorage.clientCertSecretRef is set but spec.sessionStorage.tls is not',
      ),
    });
  });

  it('refuses a missing password Secret or key, naming both', () => {
    expect(plan(redis(), 3, [])).toMatchObject({
      kind: 'invalid',
      reason: 'SessionStoragePasswordSecretNotFound',
      message: expect.stringContaining('Secret "redis-auth" (spec.sessionStorage.passwordRef) does not exist'),
    });
    expect(plan(redis(), 3, [secret('redis-auth', ['other'])])).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('has no key "password"'),
    });
  });
});
