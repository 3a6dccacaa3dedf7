import { describe, expect, it } from 'vitest';
import { planProxy, teardownRefs } from '../../../src/api/endpoint/decision.ts';
import { proxyNames } from '../../../src/api/endpoint/proxy-names.ts';
import { type Manifest, renderProxyObjects } from '../../../src/api/endpoint/proxy-objects.ts';
import { authConfig, proxyEndpoint, snapshotOf } from './fixtures.ts';

const settings = { image: 'ghcr.io/example/mcpre:test' };
// biome-ignore lint/suspicious/noExplicitAny: tests read nested manifest fields
const byKind = (ms: Manifest[], kind: string): any => ms.find((m) => m.kind === kind);

describe('proxyNames', () => {
  it('keeps simple names, and keeps dotted or long names distinct and within 63 characters', () => {
    expect(proxyNames('internal-api').name).toBe('mcpre-internal-api');
    const dotted = proxyNames('a.b').name;
    const dashed = proxyNames('a-b').name;
    expect(dotted).not.toBe(dashed);
    expect(dotted).toMatch(/^mcpre-a-b-[0-9a-f]{8}$/);
    const long = proxyNames('x'.repeat(200));
    expect(long.name.length).toBeLessThanOrEqual(63);
    expect(long.instance.length).toBeLessThanOrEqual(63);
    expect(long.name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('renderProxyObjects', () => {
  const ep = proxyEndpoint({
    headerForward: {
      addPlaintextHeaders: { 'X-Tenant': 't-1' },
      addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: 'creds', key: 'api-key' } }],
    },
    caBundleRef: { name: 'internal-ca' },
    externalAuthConfigRef: { name: 'sts' },
    proxyConfig: {
      oidcConfig: {
        type: 'inline',
        inline: { issuer: 'https://idp', clientSecretRef: { name: 'oidc', key: 'secret' } },
      },
      authzConfig: { type: 'inline', inline: { policies: ['permit(principal, action, resource);'] } },
      audit: { enabled: true },
      telemetry: {
        openTelemetry: {
          enabled: true,
          endpoint: 'otel:4318',
          insecure: true,
          headers: ['x-scope-orgid=tools'],
          tracing: { enabled: true, samplingRate: '0.25' },
        },
      },
      resources: { limits: { cpu: '500m', memory: '128Mi' } },
      proxyPort: 9090,
      sessionAffinity: 'None',
      resourceOverrides: {
        proxyDeployment: {
          labels: { team: 'a', 'app.kubernetes.io/managed-by': 'someone-else' },
          annotations: { note: 'x' },
          podTemplateMetadataOverrides: { labels: { tier: 'proxy' }, annotations: { 'prometheus.io/scrape': 'true' } },
          env: [{ name: 'EXTRA', value: '1' }],
          args: ['--verbose'],
        },
        proxyService: { annotations: { 'svc-note': 'y' } },
      },
    },
  });
  const objects = renderProxyObjects(ep, authConfig('sts', 'tokenExchange'), settings);
  const dep = byKind(objects, 'Deployment');
  const container = dep.spec.template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));

  it('creates ServiceAccount, Deployment and Service, all owned by the endpoint', () => {
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Deployment', 'Service']);
    for (const o of objects) {
      expect(o.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'MCPRemoteEndpoint', name: 'internal-api', uid: 'uid-1', controller: true }),
      ]);
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('mcpre');
    }
  });

  it('runs mcpre gateway --proxy-mode with the remote, transport and port in the environment', () => {
    expect(container.image).toBe(settings.image);
    expect(container.args).toEqual(['gateway', '--proxy-mode', '--verbose']);
    expect(env.MCPRE_PROXY_REMOTE_URL.value).toBe('https://mcp.context7.com/mcp');
    expect(env.MCPRE_PROXY_TRANSPORT.value).toBe('streamable-http');
    expect(env.MCPRE_PROXY_PORT.value).toBe('9090');
    expect(container.ports).toEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
    expect(JSON.parse(env.MCPRE_PROXY_AUDIT.value)).toEqual({ enabled: true });
    expect(JSON.parse(env.MCPRE_PROXY_AUTHZ.value).inline.policies).toHaveLength(1);
    expect(env.MCPRE_PROXY_TELEMETRY).toBeUndefined();
  });

  it('turns proxyConfig.telemetry into the standard OTEL_* variables, named after the endpoint by default', () => {
    const otel = Object.fromEntries(
      container.env
        .filter((e: { name: string }) => e.name.startsWith('OTEL_'))
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(otel).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=tools',
      OTEL_SERVICE_NAME: 'internal-api',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
  });

  it('mounts every Secret read-only as files, names the files in the environment, and sets no secret env var', () => {
    expect(JSON.stringify(objects)).not.toContain('secretKeyRef');
    expect(container.env.every((e: { value?: unknown }) => typeof e.value === 'string')).toBe(true);
    const pod = dep.spec.template.spec;
    const secretVolumes = pod.volumes.filter((v: { secret?: unknown }) => v.secret);
    expect(secretVolumes).toEqual([
      {
        name: 'secret-creds',
        secret: { secretName: 'creds', items: [{ key: 'api-key', path: 'api-key' }], defaultMode: 0o440 },
      },
      {
        name: 'secret-oidc',
        secret: { secretName: 'oidc', items: [{ key: 'secret', path: 'secret' }], defaultMode: 0o440 },
      },
      {
        name: 'secret-sts',
        secret: { secretName: 'sts', items: [{ key: 'secret', path: 'secret' }], defaultMode: 0o440 },
      },
    ]);
    for (const name of ['creds', 'oidc', 'sts']) {
      expect(container.volumeMounts).toContainEqual({
        name: `secret-${name}`,
        mountPath: `/etc/mcpre/secrets/${name}`,
        readOnly: true,
      });
    }
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      fsGroup: 65532,
    });
    expect(JSON.parse(env.MCPRE_PROXY_HEADERS.value)).toEqual({
      plaintext: { 'X-Tenant': 't-1' },
      fromFile: { 'X-API-Key': '/etc/mcpre/secrets/creds/api-key' },
    });
    const oidc = JSON.parse(env.MCPRE_PROXY_OIDC.value);
    expect(oidc.inline.clientSecretRef).toBeUndefined();
    expect(oidc.inline.clientSecretFile).toBe('/etc/mcpre/secrets/oidc/secret');
    expect(JSON.parse(env.MCPRE_PROXY_EXTERNAL_AUTH.value)).toEqual({
      name: 'sts',
      type: 'tokenExchange',
      tokenUrl: 'https://sts.example.com/token',
      audience: 'remote',
      clientSecretFile: '/etc/mcpre/secrets/sts/secret',
    });
    const injected = renderProxyObjects(
      proxyEndpoint({ externalAuthConfigRef: { name: 'key' } }),
      authConfig('key', 'headerInjection'),
      settings,
    );
    const injectedEnv = byKind(injected, 'Deployment').spec.template.spec.containers[0].env;
    expect(JSON.parse(injectedEnv.find((e: { name: string }) => e.name === 'MCPRE_PROXY_EXTERNAL_AUTH').value)).toEqual(
      {
        name: 'key',
        type: 'headerInjection',
        headerName: 'X-Key',
        valueFile: '/etc/mcpre/secrets/k/v',
      },
    );
  });

  it('adds no Secret volume and no fsGroup when the endpoint reads no Secret', () => {
    const plain = renderProxyObjects(
      proxyEndpoint({ proxyConfig: { oidcConfig: { type: 'kubernetes' } } }),
      null,
      settings,
    );
    const pod = byKind(plain, 'Deployment').spec.template.spec;
    expect(pod.volumes).toBeUndefined();
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('mounts the CA bundle at the RFC path', () => {
    expect(env.MCPRE_PROXY_CA_BUNDLE_PATH.value).toBe('/etc/toolhive/ca-bundles/internal-api/ca.crt');
    expect(dep.spec.template.spec.volumes).toContainEqual({
      name: 'ca-bundle',
      configMap: { name: 'internal-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
  });

  it('honours resourceOverrides without giving up the labels the operator depends on', () => {
    expect(dep.metadata.labels).toMatchObject({ team: 'a', 'app.kubernetes.io/managed-by': 'mcpre' });
    expect(dep.metadata.annotations.note).toBe('x');
    expect(dep.spec.template.metadata.labels).toMatchObject({
      tier: 'proxy',
      'app.kubernetes.io/instance': 'internal-api',
    });
    expect(dep.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(env.EXTRA.value).toBe('1');
    expect(container.resources).toEqual({ limits: { cpu: '500m', memory: '128Mi' } });
    const svc = byKind(objects, 'Service');
    expect(svc.metadata.annotations['svc-note']).toBe('y');
    expect(svc.spec).toMatchObject({ sessionAffinity: 'None', ports: [{ port: 9090, targetPort: 'http' }] });
  });

  it('uses a named ServiceAccount instead of creating one', () => {
    const own = proxyEndpoint({ proxyConfig: { oidcConfig: { type: 'kubernetes' }, serviceAccount: 'mine' } });
    const out = renderProxyObjects(own, null, settings);
    expect(out.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    expect(byKind(out, 'Deployment').spec.template.spec.serviceAccountName).toBe('mine');
    expect(teardownRefs(own).map((r) => r.kind)).toEqual(['Deployment', 'Service', 'ServiceAccount']);
  });

  it('is deterministic: the same endpoint renders the same hashes', () => {
    const again = renderProxyObjects(ep, authConfig('sts', 'tokenExchange'), settings);
    expect(again).toEqual(objects);
  });
});

describe('planProxy', () => {
  it('applies what is missing or changed and nothing once the caches hold what was applied', () => {
    const ep = proxyEndpoint();
    const first = planProxy(snapshotOf(ep), settings);
    expect(first.apply.map((m) => m.kind)).toEqual(['ServiceAccount', 'Deployment', 'Service']);
    const [sa, dep, svc] = first.apply;
    const applied = snapshotOf(ep, {
      owned: { serviceAccount: sa ?? null, deployment: dep ?? null, service: svc ?? null },
    });
    expect(planProxy(applied, settings)).toEqual({ apply: [], remove: [] });
    const changedPort = {
      ...ep,
      spec: { ...ep.spec, proxyConfig: { oidcConfig: { type: 'kubernetes' as const }, proxyPort: 9000 } },
    };
    expect(planProxy({ ...applied, endpoint: changedPort }, settings).apply.map((m) => m.kind)).toEqual([
      'Deployment',
      'Service',
    ]);
  });

  it('removes the operator-created ServiceAccount once the user names their own', () => {
    const ep = proxyEndpoint();
    const [sa] = planProxy(snapshotOf(ep), settings).apply;
    const own = {
      ...ep,
      spec: { ...ep.spec, proxyConfig: { oidcConfig: { type: 'kubernetes' as const }, serviceAccount: 'mine' } },
    };
    const plan = planProxy(
      snapshotOf(own, { owned: { serviceAccount: sa ?? null, deployment: null, service: null } }),
      settings,
    );
    expect(plan.remove).toEqual([{ kind: 'ServiceAccount', namespace: 'team-a', name: 'mcpre-internal-api' }]);
  });
});
