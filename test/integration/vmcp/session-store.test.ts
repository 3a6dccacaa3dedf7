// spec.sessionStorage and spec.telemetry of a VirtualMCPServer on the real control plane: with provider redis the
// Deployment runs spec.replicas pods even with a direct endpoint in the group, the gateway config names the store,
// and the password reaches the pod only as a secretKeyRef variable (never the ConfigMap, the Role or the status);
// without it the single-replica rule holds; bad input becomes a condition (or an admission error); with tls, the CA
// bundle a caBundleRef names is mounted read-only and the config names its file, a missing one is a condition; so are
// the client certificate Secret a clientCertSecretRef names (its renewal rolls the pods); telemetry becomes the
// standard OTEL_* variables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MCP_GROUP, MCP_REMOTE_ENDPOINT, VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import { makeControlPlaneCerts } from '../../../src/control-plane/certs.ts';
import type { KubeObject } from '../../support/kube-objects.ts';
import {
  CONFIG_MAP,
  condition,
  DEPLOYMENT,
  type Env,
  endpoint,
  eventually,
  group,
  ROLE,
  SECRET,
  startEnv,
  vmcp,
} from './harness.ts';

let env: Env;
const PASSWORD = 'p4ss-never-in-configmaps';

beforeAll(async () => {
  env = await startEnv();
  await env.controller();
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

const waitFor = (ns: string, name: string, what: string, check: (v: KubeObject) => boolean) =>
  eventually(`${ns}/${name}: ${what}`, async () => {
    const v = await env.kube.get(VIRTUAL_MCP_SERVER, ns, name);
    return check(v) ? v : undefined;
  });
const deploymentWhere = (ns: string, what: string, check: (d: KubeObject) => boolean) =>
  eventually(`${ns}/vmcp-gw: ${what}`, async () => {
    const d = await env.kube.get(DEPLOYMENT, ns, 'vmcp-gw').catch(() => undefined);
    return d && check(d) ? d : undefined;
  });
const configOf = async (ns: string) =>
  parseYaml(
    ((await env.kube.get(CONFIG_MAP, ns, 'vmcp-gw-config')).data as Record<string, string>)['config.yaml'] ?? '',
  );
// biome-ignore lint/suspicious/noExplicitAny: tests read the container loosely
const envOf = (d: KubeObject): any[] => d.spec.template.spec.containers[0].env;
const redisSecret = (name = 'redis-auth') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  stringData: { password: PASSWORD },
});

/** A group with a type direct endpoint: the memory store would hold its gateway at one replica. */
async function groupWithDirectEndpoint(prefix: string): Promise<string> {
  const ns = await env.cp.namespace(prefix);
  await env.kube.create(MCP_GROUP, ns, group('team'));
  await env.kube.create(
    MCP_REMOTE_ENDPOINT,
    ns,
    endpoint('search', { type: 'direct', remoteURL: 'https://s.example.com/mcp', transport: 'sse', groupRef: 'team' }),
  );
  return ns;
}

describe('VirtualMCPServer spec.sessionStorage', () => {
  it('provider redis with replicas 3: three replicas, the store URL, the password only from its Secret', async () => {
    const ns = await groupWithDirectEndpoint('vmcp-redis');
    await env.kube.create(SECRET, ns, redisSecret());
    const storage = {
      provider: 'redis',
      address: 'redis.tools.svc:6379',
      db: 1,
      passwordRef: { name: 'redis-auth', key: 'password' },
    };
    await env.kube.create(
      VIRTUAL_MCP_SERVER,
      ns,
      vmcp('gw', { groupRef: 'team', replicas: 3, sessionStorage: storage }),
    );
    const d = await deploymentWhere(ns, '3 replicas', (o) => o.spec.replicas === 3);
    expect(envOf(d).filter((e) => e.name === 'MCPRE_SESSION_STORE_PASSWORD')).toEqual([
      { name: 'MCPRE_SESSION_STORE_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } } },
    ]);
    expect(d.spec.strategy.type).toBe('RollingUpdate');
    const config = await configOf(ns);
    expect(config.sessionStore).toEqual({ url: 'redis://redis.tools.svc:6379/1' });
    expect(config.lease).toBeUndefined();
    const v = await waitFor(
      ns,
      'gw',
      'SingleReplicaEnforced',
      (o) => condition(o, 'SingleReplicaEnforced') !== undefined,
    );
    expect(condition(v, 'SingleReplicaEnforced')).toMatchObject({ status: 'False', reason: 'SharedSessionStore' });
    expect(condition(v, 'ConfigurationValid')).toMatchObject({ status: 'True' });
    const role = await env.kube.get(ROLE, ns, 'vmcp-gw');
    expect((role.rules as { resources: string[] }[]).some((r) => r.resources.includes('leases'))).toBe(false);
    // The value is nowhere the operator writes; the ConfigMap does not even name the Secret.
    const cm = await env.kube.get(CONFIG_MAP, ns, 'vmcp-gw-config');
    for (const written of [cm, d, role, v]) expect(JSON.stringify(written)).not.toContain(PASSWORD);
    expect(JSON.stringify(cm.data)).not.toContain('redis-auth');
    expect(JSON.stringify(v.status)).not.toContain('redis-auth');

    // Back to the memory store: one replica, the Lease, and the existing condition.
    await env.kube.mergePatch(VIRTUAL_MCP_SERVER, ns, 'gw', { spec: { sessionStorage: null } });
    const one = await deploymentWhere(ns, '1 replica', (o) => o.spec.replicas === 1);
    expect(envOf(one).map((e) => e.name)).not.toContain('MCPRE_SESSION_STORE_PASSWORD');
    expect(one.spec.template.metadata.annotations['mcpre.toolhive.stacklok.dev/config-checksum']).not.toBe(
      d.spec.template.metadata.annotations['mcpre.toolhive.stacklok.dev/config-checksum'],
    );
    const held = await waitFor(ns, 'gw', 'SingleReplicaEnforced True', (o) => {
      return condition(o, 'SingleReplicaEnforced')?.status === 'True';
    });
    expect(condition(held, 'SingleReplicaEnforced')).toMatchObject({ reason: 'DirectEndpointsInGroup' });
    expect((await configOf(ns)).lease).toEqual({ name: 'vmcp-gw', namespace: ns });
  });

  it('without sessionStorage: one replica and SingleReplicaEnforced, as before', async () => {
    const ns = await groupWithDirectEndpoint('vmcp-memory');
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team', replicas: 3 }));
    const d = await deploymentWhere(ns, 'exists', () => true);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    const v = await waitFor(ns, 'gw', 'SingleReplicaEnforced True', (o) => {
      return condition(o, 'SingleReplicaEnforced')?.status === 'True';
    });
    expect(condition(v, 'SingleReplicaEnforced').message).toContain('spec.replicas asks for 3 but is held at 1');
    expect((await configOf(ns)).sessionStore).toBeUndefined();
  });

  it('a bad address or a missing password Secret is a condition with its reason; creating the Secret recovers', async () => {
    const ns = await groupWithDirectEndpoint('vmcp-redis-bad');
    const storage = { provider: 'redis', address: 'redis.tools.svc', passwordRef: { name: 'later', key: 'password' } };
    await env.kube.create(
      VIRTUAL_MCP_SERVER,
      ns,
      vmcp('gw', { groupRef: 'team', replicas: 2, sessionStorage: storage }),
    );
    let v = await waitFor(ns, 'gw', 'ConfigurationValid False', (o) => {
      return condition(o, 'ConfigurationValid')?.status === 'False';
    });
    expect(condition(v, 'ConfigurationValid')).toMatchObject({
      reason: 'SessionStorageInvalid',
      message: expect.stringContaining('spec.sessionStorage.address "redis.tools.svc" has no port'),
    });
    expect(v.status.phase).toBe('Failed');
    await expect(env.kube.get(DEPLOYMENT, ns, 'vmcp-gw')).rejects.toMatchObject({ status: 404 });

    await env.kube.mergePatch(VIRTUAL_MCP_SERVER, ns, 'gw', { spec: { sessionStorage: { address: 'redis:6379' } } });
    v = await waitFor(ns, 'gw', 'the missing Secret', (o) => {
      return condition(o, 'ConfigurationValid')?.reason === 'SessionStoragePasswordSecretNotFound';
    });
    expect(condition(v, 'ConfigurationValid').message).toContain(
      'Secret "later" (spec.sessionStorage.passwordRef) does not exist in this namespace',
    );
    await env.kube.create(SECRET, ns, redisSecret('later'));
    await deploymentWhere(ns, '2 replicas', (o) => o.spec.replicas === 2);
    await waitFor(ns, 'gw', 'ConfigurationValid True', (o) => condition(o, 'ConfigurationValid')?.status === 'True');
  });

  it('tls with caBundleRef: a missing ConfigMap or key is a condition; once there, mounted read-only and named in the config', async () => {
    const ns = await groupWithDirectEndpoint('vmcp-redis-ca');
    const storage = {
      provider: 'redis',
      address: 'redis.tools.svc:6380',
      tls: true,
      caBundleRef: { name: 'redis-ca' },
    };
    await env.kube.create(
      VIRTUAL_MCP_SERVER,
      ns,
      vmcp('gw', { groupRef: 'team', replicas: 2, sessionStorage: storage }),
    );
    let v = await waitFor(ns, 'gw', 'the missing ConfigMap', (o) => {
      return condition(o, 'ConfigurationValid')?.reason === 'SessionStorageCABundleNotFound';
    });
    expect(condition(v, 'ConfigurationValid')).toMatchObject({
      status: 'False',
      message: expect.stringContaining(
        'ConfigMap "redis-ca" (spec.sessionStorage.caBundleRef) does not exist in this namespace',
      ),
    });
    await expect(env.kube.get(DEPLOYMENT, ns, 'vmcp-gw')).rejects.toMatchObject({ status: 404 });

    const ca = (await makeControlPlaneCerts(new Date())).servingCa.certPem;
    await env.kube.create(CONFIG_MAP, ns, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'redis-ca' },
      data: { 'other.crt': ca },
    });
    v = await waitFor(ns, 'gw', 'the missing key', (o) => {
      return condition(o, 'ConfigurationValid')?.reason === 'SessionStorageCABundleKeyNotFound';
    });
    expect(condition(v, 'ConfigurationValid').message).toContain(
      'ConfigMap "redis-ca" has no key "ca.crt" (it has: "other.crt"); set spec.sessionStorage.caBundleRef.key',
    );

    await env.kube.mergePatch(CONFIG_MAP, ns, 'redis-ca', { data: { 'ca.crt': ca } });
    const d = await deploymentWhere(ns, '2 replicas', (o) => o.spec.replicas === 2);
    const pod = d.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'session-store-ca',
      configMap: { name: 'redis-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o644 },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: 'session-store-ca',
      mountPath: '/etc/mcpre/session-store-ca',
      readOnly: true,
    });
    expect((await configOf(ns)).sessionStore).toEqual({
      url: 'rediss://redis.tools.svc:6380',
      caFile: '/etc/mcpre/session-store-ca/ca.crt',
    });
    await waitFor(ns, 'gw', 'ConfigurationValid True', (o) => condition(o, 'ConfigurationValid')?.status === 'True');

    // A new CA rolls the pods (the checksum covers it; the gateway would also take it up by itself).
    const checksum = (o: KubeObject) =>
      o.spec.template.metadata.annotations['mcpre.toolhive.stacklok.dev/config-checksum'];
    const other = (await makeControlPlaneCerts(new Date())).servingCa.certPem;
    await env.kube.mergePatch(CONFIG_MAP, ns, 'redis-ca', { data: { 'ca.crt': other } });
    await deploymentWhere(ns, 'a new checksum', (o) => checksum(o) !== checksum(d));
  });

  it('tls with clientCertSecretRef: a missing Secret is a condition; once there, its keys mounted, named in the config, and a renewal rolls the pods', async () => {
    const ns = await groupWithDirectEndpoint('vmcp-redis-client-cert');
    const storage = {
      provider: 'redis',
      address: 'redis.tools.svc:6380',
      tls: true,
      clientCertSecretRef: { name: 'redis-client' },
    };
    await env.kube.create(
      VIRTUAL_MCP_SERVER,
      ns,
      vmcp('gw', { groupRef: 'team', replicas: 2, sessionStorage: storage }),
    );
    const v = await waitFor(ns, 'gw', 'the missing Secret', (o) => {
      return condition(o, 'ConfigurationValid')?.reason === 'SessionStorageClientCertSecretNotFound';
    });
    expect(condition(v, 'ConfigurationValid')).toMatchObject({
      status: 'False',
      message: expect.stringContaining(
        'Secret "redis-client" (spec.sessionStorage.clientCertSecretRef) does not exist in this namespace',
      ),
    });
    await expect(env.kube.get(DEPLOYMENT, ns, 'vmcp-gw')).rejects.toMatchObject({ status: 404 });

    const certs = await makeControlPlaneCerts(new Date());
    const pair = await certs.issueClient('mcpre-gateway', []);
    await env.kube.create(SECRET, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'redis-client' },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem },
    });
    const d = await deploymentWhere(ns, '2 replicas', (o) => o.spec.replicas === 2);
    const pod = d.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'secret-redis-client',
      secret: {
        secretName: 'redis-client',
        items: [
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
        ],
        defaultMode: 0o440,
      },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: 'secret-redis-client',
      mountPath: '/etc/mcpre/secrets/redis-client',
      readOnly: true,
    });
    const config = await configOf(ns);
    expect(config.sessionStore).toEqual({
      url: 'rediss://redis.tools.svc:6380',
      certFile: '/etc/mcpre/secrets/redis-client/tls.crt',
      keyFile: '/etc/mcpre/secrets/redis-client/tls.key',
    });
    // Neither the key nor the certificate reaches the ConfigMap or the status.
    const configMap = JSON.stringify(await env.kube.get(CONFIG_MAP, ns, 'vmcp-gw-config'));
    expect(configMap).not.toContain('PRIVATE KEY');
    expect(
      JSON.stringify(
        await waitFor(
          ns,
          'gw',
          'ConfigurationValid True',
          (o) => condition(o, 'ConfigurationValid')?.status === 'True',
        ),
      ),
    ).not.toContain('PRIVATE KEY');

    // A renewed certificate (a new digest of tls.crt) rolls the pods; the gateway would also take it up by itself.
    const checksum = (o: KubeObject) =>
      o.spec.template.metadata.annotations['mcpre.toolhive.stacklok.dev/config-checksum'];
    const renewed = await certs.issueClient('mcpre-gateway', []);
    await env.kube.mergePatch(SECRET, ns, 'redis-client', {
      stringData: { 'tls.crt': renewed.certPem, 'tls.key': renewed.keyPem },
    });
    await deploymentWhere(ns, 'a new checksum', (o) => checksum(o) !== checksum(d));
  });

  it('refuses clientCertSecretRef without tls at admission', async () => {
    const ns = await env.cp.namespace('vmcp-redis-client-cert-cel');
    const storage = { provider: 'redis', address: 'redis:6379', clientCertSecretRef: { name: 'redis-client' } };
    await expect(
      env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team', sessionStorage: storage })),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('spec.sessionStorage.clientCertSecretRef needs spec.sessionStorage.tls true'),
    });
  });

  it('refuses caBundleRef without tls at admission', async () => {
    const ns = await env.cp.namespace('vmcp-redis-ca-cel');
    const storage = { provider: 'redis', address: 'redis:6379', caBundleRef: { name: 'redis-ca' } };
    await expect(
      env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team', sessionStorage: storage })),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('spec.sessionStorage.caBundleRef needs spec.sessionStorage.tls true'),
    });
  });

  it('refuses provider redis without an address at admission', async () => {
    const ns = await env.cp.namespace('vmcp-redis-cel');
    await expect(
      env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team', sessionStorage: { provider: 'redis' } })),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining(
        'spec.sessionStorage.address is required when spec.sessionStorage.provider is redis',
      ),
    });
  });
});

describe('VirtualMCPServer spec.telemetry', () => {
  it('reaches the gateway Deployment as the OTEL_* variables, header values by secretKeyRef', async () => {
    const ns = await env.cp.namespace('vmcp-otel');
    await env.kube.create(MCP_GROUP, ns, group('team'));
    await env.kube.create(SECRET, ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'otel-auth' },
      stringData: { token: 'Bearer%20otel-secret-value' },
    });
    const telemetry = {
      openTelemetry: {
        enabled: true,
        endpoint: 'otel-collector.observability.svc:4318',
        insecure: true,
        serviceName: 'team-tools',
        sensitiveHeaders: [{ name: 'Authorization', secretKeyRef: { name: 'otel-auth', key: 'token' } }],
        resourceAttributes: { 'deployment.environment': 'prod' },
        tracing: { enabled: true, samplingRate: '0.25' },
      },
    };
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, vmcp('gw', { groupRef: 'team', telemetry }));
    const d = await deploymentWhere(ns, 'exists', () => true);
    const otel = envOf(d).filter((e) => e.name.startsWith('OTEL_') || e.name.startsWith('MCPRE_OTEL_'));
    expect(otel).toEqual([
      { name: 'MCPRE_OTEL_HEADER_0', valueFrom: { secretKeyRef: { name: 'otel-auth', key: 'token' } } },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc:4318' },
      { name: 'OTEL_EXPORTER_OTLP_HEADERS', value: 'Authorization=$(MCPRE_OTEL_HEADER_0)' },
      { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
      { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'deployment.environment=prod' },
      { name: 'OTEL_SERVICE_NAME', value: 'team-tools' },
      { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
      { name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.25' },
    ]);
    const v = await waitFor(
      ns,
      'gw',
      'ConfigurationValid True',
      (o) => condition(o, 'ConfigurationValid')?.status === 'True',
    );
    for (const written of [d, v, await env.kube.get(CONFIG_MAP, ns, 'vmcp-gw-config')]) {
      expect(JSON.stringify(written)).not.toContain('otel-secret-value');
    }

    await env.kube.mergePatch(VIRTUAL_MCP_SERVER, ns, 'gw', {
      spec: { telemetry: { openTelemetry: { tracing: { samplingRate: '2' } } } },
    });
    const bad = await waitFor(ns, 'gw', 'TelemetryInvalid', (o) => {
      return condition(o, 'ConfigurationValid')?.reason === 'TelemetryInvalid';
    });
    expect(condition(bad, 'ConfigurationValid').message).toContain(
      'spec.telemetry.openTelemetry.tracing.samplingRate "2" is not a number from 0.0 to 1.0',
    );
  });
});
