// The pods the operator creates (a VirtualMCPServer's gateway, a proxy endpoint's proxy), with their Secret volumes
// and fsGroup, are admitted in a namespace that enforces the Pod Security "restricted" profile: each pod template is
// created as a Pod in a server-side dry run, which runs the whole admission chain. A template the profile forbids is
// refused the same way (so the check can fail).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProxyObjects } from '../../../src/api/endpoint/proxy-objects.ts';
import { planVmcp } from '../../../src/api/vmcp/decision.ts';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.ts';
import { authConfig, proxyEndpoint } from '../../unit/endpoint/fixtures.ts';
import { direct, proxy, secret, snapshot, vmcp, authConfig as vmcpAuthConfig } from '../../unit/vmcp/fixtures.ts';

let cp: ControlPlane;
const ns = 'restricted-pods';

// biome-ignore lint/suspicious/noExplicitAny: manifests are read loosely
type Obj = Record<string, any>;

beforeAll(async () => {
  cp = await startControlPlane({ crdDirs: [] });
  const created = await cp.running.admin.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  });
  expect(created.status).toBe(201);
}, 120_000);
afterAll(() => cp?.stop());

/** Creates the Deployment's pod template as a Pod in a dry run; returns the HTTP status and the API's message. */
async function admitPod(deployment: Obj): Promise<{ status: number; text: string }> {
  const sa = deployment.spec.template.spec.serviceAccountName;
  // The ServiceAccount admission plugin wants the pod's ServiceAccount to exist.
  await cp.running.admin.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: sa },
  });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${deployment.metadata.name}-0`, labels: deployment.spec.template.metadata.labels },
    spec: deployment.spec.template.spec,
  };
  const res = await cp.running.admin.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, pod);
  return { status: res.status, text: res.text };
}

const deploymentOf = (objects: Obj[]): Obj => {
  const d = objects.find((o) => o.kind === 'Deployment');
  if (!d) throw new Error('no Deployment rendered');
  return { ...d, metadata: { ...d.metadata, namespace: ns } };
};

describe('generated pods under Pod Security "restricted"', () => {
  it('admits the gateway pod of a static-mode VirtualMCPServer with its Secret volumes', async () => {
    const endpoints = [
      direct('search', {
        headerForward: {
          addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: 'creds', key: 'k' } }],
        },
      }),
      proxy('wiki', 'http://wiki.svc:8080/mcp', { externalAuthConfigRef: { name: 'key' } }),
    ];
    const s = snapshot(vmcp('gw'), endpoints, {
      secrets: [secret('creds', ['k']), secret('wiki-token', ['token'])],
      authConfigs: [
        vmcpAuthConfig('key', {
          type: 'headerInjection',
          headerInjection: { headerName: 'Authorization', valueSecretRef: { name: 'wiki-token', key: 'token' } },
        }),
      ],
    });
    const plan = planVmcp(s, { image: 'mcpre:test' });
    if (plan.kind !== 'apply') throw new Error(`unexpected plan ${plan.kind}`);
    const deployment = deploymentOf(plan.desired);
    expect(deployment.spec.template.spec.volumes.filter((v: Obj) => v.secret)).toHaveLength(2);
    const res = await admitPod(deployment);
    expect(res.text).not.toMatch(/PodSecurity|violate/i);
    expect(res.status).toBe(201);
  });

  it('admits the proxy pod with its Secret volumes, and refuses a template the profile forbids', async () => {
    const endpoint = proxyEndpoint({
      headerForward: {
        addHeadersFromSecret: [{ headerName: 'X-API-Key', valueSecretRef: { name: 'creds', key: 'api-key' } }],
      },
      externalAuthConfigRef: { name: 'sts' },
    });
    const deployment = deploymentOf(renderProxyObjects(endpoint, authConfig('sts', 'tokenExchange'), { image: 'x' }));
    expect(deployment.spec.template.spec.volumes.filter((v: Obj) => v.secret)).toHaveLength(2);
    const res = await admitPod(deployment);
    expect(res.text).not.toMatch(/PodSecurity|violate/i);
    expect(res.status).toBe(201);

    // The same pod, as root and with privilege escalation allowed: refused by the profile.
    const spec = deployment.spec.template.spec;
    const bad = {
      ...deployment,
      metadata: { ...deployment.metadata, name: 'bad-proxy' },
      spec: {
        ...deployment.spec,
        template: {
          ...deployment.spec.template,
          spec: {
            ...spec,
            securityContext: { ...spec.securityContext, runAsNonRoot: false },
            containers: [{ ...spec.containers[0], securityContext: { allowPrivilegeEscalation: true } }],
          },
        },
      },
    };
    const refused = await admitPod(bad);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).message).toMatch(/violates PodSecurity "restricted/);
  });
});
