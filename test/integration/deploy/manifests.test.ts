// The install manifests as a user would render them: `kubectl kustomize` (the kubectl built with the control plane)
// and `helm template` / `helm lint` (HELM_BIN, which the integration global setup resolves with scripts/setup-helm.sh),
// then `kubectl apply --dry-run=server` to a real API server, which runs the full validation and admission chain
// (schemas, RBAC object checks, Pod Security for the workloads in a namespace labelled `restricted`) without storing
// anything.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  leaderElectionRules,
  operatorClusterRules,
  standaloneGatewayRules,
} from '../../../src/controllers/endpoint/permissions.ts';
import { type ControlPlane, REPO_ROOT, startControlPlane } from '../../support/control-plane.ts';

let cp: ControlPlane;
let kubectl: string;
let helm: string;

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read loosely
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };
const parse = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);

async function sh(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const child = execFile(cmd, args, { cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024, timeout: 120_000 });
  const done = new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${stderr}`)),
    );
  });
  child.stdin?.end(input ?? '');
  return done;
}

/** Server-side dry run of a rendered manifest; returns kubectl's output (warnings go to stderr). */
const dryRun = (yamlText: string, extra: string[] = []) =>
  sh(kubectl, ['--kubeconfig', cp.kubeconfigPath, 'apply', '--dry-run=server', '-f', '-', ...extra], yamlText);

async function createNamespace(name: string, labels: Record<string, string> = {}) {
  const res = await cp.running.admin.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  });
  if (res.status >= 300 && res.status !== 409) throw new Error(`namespace ${name}: ${res.text}`);
}

beforeAll(async () => {
  // No CRDs installed: the dry run must accept the CRDs from the manifests themselves.
  cp = await startControlPlane({ crdDirs: [] });
  const kubectlBin = cp.running.binaries.kubectl;
  if (!kubectlBin)
    throw new Error('kubectl is missing from the control-plane binaries (scripts/setup-control-plane.sh builds it)');
  kubectl = kubectlBin;
  // Built (on a cold machine) by the integration project's global setup, outside this hook's time limit.
  const bin = process.env.HELM_BIN;
  if (!bin)
    throw new Error('HELM_BIN is not set: run this file in the integration project, whose global setup sets it');
  helm = bin;
});
afterAll(() => cp?.stop());

const restricted = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
};

function checkOperatorDeployment(deployment: Obj | undefined, serviceAccount: string) {
  expect(deployment).toBeDefined();
  const pod = deployment?.spec.template.spec;
  const c = pod.containers[0];
  expect(pod.serviceAccountName).toBe(serviceAccount);
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  expect(c.securityContext).toEqual({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'metrics' });
  expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'metrics' });
  expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  expect(c.resources.limits.memory).toEqual(expect.any(String));
  expect(c.args[0]).toBe('operator');
  expect(c.args).toContain('--leader-elect');
  expect(c.env.map((e: { name: string }) => e.name)).toEqual(
    expect.arrayContaining(['POD_NAME', 'POD_NAMESPACE', 'MCPRE_PROXY_IMAGE']),
  );
}

describe('kustomize', () => {
  it('the base renders the namespace, the CRDs from crds/, the generated RBAC and a hardened operator', async () => {
    const { stdout } = await sh(kubectl, ['kustomize', 'deploy/kustomize/base']);
    const objs = parse(stdout);
    const kinds = objs.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'CustomResourceDefinition')).toHaveLength(5);
    for (const o of objs.filter((o) => o.kind === 'CustomResourceDefinition')) {
      const file = `crds/${o.spec.group}_${o.spec.names.plural}.yaml`;
      expect(o).toEqual(parse(readFileSync(join(REPO_ROOT, file), 'utf8'))[0]);
    }
    expect(objs.find((o) => o.kind === 'ClusterRole')?.rules).toEqual(operatorClusterRules());
    expect(objs.find((o) => o.kind === 'Role')?.rules).toEqual(leaderElectionRules());
    for (const o of objs.filter(
      (o) => !['Namespace', 'CustomResourceDefinition'].includes(o.kind) && !o.kind.startsWith('Cluster'),
    )) {
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('mcpre-system');
    }
    checkOperatorDeployment(
      objs.find((o) => o.kind === 'Deployment'),
      'mcpre-operator',
    );
    expect(objs.find((o) => o.kind === 'Namespace')?.metadata).toMatchObject({ name: 'mcpre-system' });

    // The namespace first (a dry run creates nothing, and the rest lives in it), then everything in a dry run.
    await createNamespace('mcpre-system', { ...restricted });
    const applied = await dryRun(stdout);
    expect(applied.stdout).toContain('deployment.apps/mcpre-operator created (server dry run)');
    expect(applied.stdout).toContain('clusterrole.rbac.authorization.k8s.io/mcpre-operator created (server dry run)');
    expect(applied.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/mcpremoteendpoints.toolhive.stacklok.dev created (server dry run)',
    );
    // The namespace enforces (and warns on) Pod Security "restricted": the operator's pod template must meet it.
    expect(applied.stderr).not.toMatch(/PodSecurity|violate/i);
  });

  it('a pod template that breaks the restricted profile would be reported (the check above can fail)', async () => {
    await createNamespace('pss-check', { ...restricted });
    const bad = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'root', namespace: 'pss-check' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    };
    const out = await dryRun(JSON.stringify(bad));
    expect(out.stderr).toMatch(/would violate PodSecurity "restricted/);
  });

  it('the NetworkPolicy blocks the cloud metadata addresses and allows DNS and everything else', async () => {
    const { stdout } = await sh(kubectl, ['kustomize', 'deploy/kustomize/network-policy']);
    const [policy] = parse(stdout);
    expect(policy?.kind).toBe('NetworkPolicy');
    expect(policy?.spec.policyTypes).toEqual(['Egress']);
    const blocks = policy?.spec.egress.flatMap((e: { to?: { ipBlock?: { cidr: string; except?: string[] } }[] }) =>
      (e.to ?? []).map((t) => t.ipBlock),
    );
    expect(blocks).toEqual([
      { cidr: '0.0.0.0/0', except: ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32'] },
      { cidr: '::/0', except: ['fd00:ec2::254/128'] },
    ]);
    expect(policy?.spec.egress[0]).toEqual({
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
    // It selects exactly the pods the operator creates (proxy pods and gateways).
    const values = policy?.spec.podSelector.matchExpressions.find(
      (m: { key: string }) => m.key === 'app.kubernetes.io/name',
    ).values;
    expect(values).toEqual(['mcpre-proxy', 'mcpre-vmcp', 'mcpre-gateway']);
    await createNamespace('team-a', { ...restricted });
    const out = await dryRun(stdout, ['-n', 'team-a']);
    expect(out.stdout).toContain('networkpolicy.networking.k8s.io/mcpre-block-cloud-metadata created (server dry run)');
  });

  it("the operator's own policy selects the base's operator pod: its metrics port in, DNS and the API server out", async () => {
    const policy = parse((await sh(kubectl, ['kustomize', 'deploy/kustomize/operator-network-policy'])).stdout)[0]!;
    const base = parse((await sh(kubectl, ['kustomize', 'deploy/kustomize/base'])).stdout);
    const operator = base.find((o) => o.kind === 'Deployment')!;
    const pod = operator.spec.template;
    expect(policy.metadata.namespace).toBe(operator.metadata.namespace);
    expect(policy.spec.podSelector.matchLabels).toEqual(pod.metadata.labels);
    const metricsPort = pod.spec.containers[0].ports.find((p: { name: string }) => p.name === 'metrics').containerPort;
    expect(policy.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: metricsPort }] }]);
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      {
        ports: [
          { protocol: 'TCP', port: 443 },
          { protocol: 'TCP', port: 6443 },
        ],
      },
    ]);
    await createNamespace('mcpre-system');
    const out = await dryRun(JSON.stringify(policy));
    expect(out.stdout).toContain('networkpolicy.networking.k8s.io/mcpre-operator created (server dry run)');
  });

  it('the hand-deployed gateway: the generated Role, a hardened Deployment mounting its config, applied in team-a', async () => {
    const { stdout } = await sh(kubectl, ['kustomize', 'deploy/kustomize/gateway']);
    const objs = parse(stdout);
    expect(objs.find((o) => o.kind === 'Role')?.rules).toEqual(standaloneGatewayRules('mcpre-gateway'));
    expect(objs.find((o) => o.kind === 'RoleBinding')?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'mcpre-gateway', namespace: 'team-a' },
    ]);
    const pod = objs.find((o) => o.kind === 'Deployment')?.spec.template.spec;
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.args).toEqual(expect.arrayContaining(['gateway', '--group=engineering-team']));
    const configMap = objs.find((o) => o.kind === 'ConfigMap');
    expect(pod.volumes.find((v: { name: string }) => v.name === 'config').configMap.name).toBe(
      configMap?.metadata.name,
    );
    // The shipped config parses with the gateway's own schema (done in a unit test too); here: it applies.
    await createNamespace('team-a', { ...restricted });
    const out = await dryRun(stdout);
    expect(out.stdout).toContain('deployment.apps/mcpre-gateway created (server dry run)');
    expect(out.stderr).not.toMatch(/PodSecurity|violate/i);
  });
});

/** `helm template` of the chart into the namespace `mcpre`, with more arguments (`--set ...`). */
function renderChart(release: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return sh(helm, ['template', release, 'deploy/helm/mcpre', '--namespace', 'mcpre', ...args]);
}

describe('helm', () => {
  it('lints clean (strict)', async () => {
    const { stdout } = await sh(helm, ['lint', '--strict', 'deploy/helm/mcpre']);
    expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('renders with its defaults and applies in a server dry run, CRDs included and identical to crds/', async () => {
    await createNamespace('mcpre', { ...restricted });
    const { stdout } = await renderChart('mcpre', ['--include-crds']);
    const objs = parse(stdout);
    const crds = objs.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds).toHaveLength(5);
    for (const o of crds) {
      expect(o).toEqual(
        parse(readFileSync(join(REPO_ROOT, `crds/${o.spec.group}_${o.spec.names.plural}.yaml`), 'utf8'))[0],
      );
    }
    expect(objs.find((o) => o.kind === 'ClusterRole')?.rules).toEqual(operatorClusterRules());
    expect(objs.find((o) => o.kind === 'ClusterRoleBinding')).toBeDefined();
    checkOperatorDeployment(
      objs.find((o) => o.kind === 'Deployment'),
      'mcpre-operator',
    );
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.namespace)).toEqual(['mcpre']);
    const applied = await dryRun(stdout);
    expect(applied.stdout).toContain('deployment.apps/mcpre-operator created (server dry run)');
    expect(applied.stderr).not.toMatch(/PodSecurity|violate/i);
  });

  it('values: one watched namespace (RoleBinding there, no ClusterRoleBinding), log level, image, policies off', async () => {
    await createNamespace('team-b');
    const { stdout } = await renderChart('ops', [
      '--set',
      'watchNamespace=team-b',
      '--set',
      'logLevel=debug',
      '--set',
      'image.repository=registry.example.com/mcpre',
      '--set',
      'image.tag=1.2.3',
      '--set',
      'resources.limits.memory=1Gi',
      '--set',
      'networkPolicy.enabled=false',
    ]);
    const objs = parse(stdout);
    expect(objs.some((o) => o.kind === 'ClusterRoleBinding')).toBe(false);
    const binding = objs.find((o) => o.kind === 'RoleBinding' && o.roleRef.kind === 'ClusterRole');
    expect(binding?.metadata.namespace).toBe('team-b');
    expect(objs.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
    const c = objs.find((o) => o.kind === 'Deployment')?.spec.template.spec.containers[0];
    expect(c.image).toBe('registry.example.com/mcpre:1.2.3');
    expect(c.args).toEqual(expect.arrayContaining(['--namespace=team-b', '--log-level=debug']));
    expect(c.env.find((e: { name: string }) => e.name === 'MCPRE_PROXY_IMAGE').value).toBe(
      'registry.example.com/mcpre:1.2.3',
    );
    expect(c.resources.limits.memory).toBe('1Gi');
    await dryRun(stdout);
  });

  it("operatorNetworkPolicy: the operator pod's ingress is its metrics port, its egress DNS and the API server", async () => {
    const { stdout } = await renderChart('mcpre', [
      '--set',
      'operatorNetworkPolicy.enabled=true',
      '--set',
      'metrics.port=9090',
      '--set',
      'operatorNetworkPolicy.apiServerPorts={6443}',
      '--set',
      'operatorNetworkPolicy.apiServerTo[0].ipBlock.cidr=10.0.0.10/32',
      '--set',
      'operatorNetworkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring',
      '--set',
      'operatorNetworkPolicy.extraEgress[0].ports[0].port=4318',
    ]);
    const objs = parse(stdout);
    const policy = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'mcpre-operator')!;
    const pod = objs.find((o) => o.kind === 'Deployment')?.spec.template;
    // It selects the operator's pod and nothing the operator creates.
    expect(policy.metadata.namespace).toBe('mcpre');
    expect(policy.spec.podSelector.matchLabels).toEqual(pod.metadata.labels);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([
      {
        ports: [{ protocol: 'TCP', port: 9090 }],
        from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
      },
    ]);
    expect(pod.spec.containers[0].ports[0].containerPort).toBe(9090);
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { ports: [{ protocol: 'TCP', port: 6443 }], to: [{ ipBlock: { cidr: '10.0.0.10/32' } }] },
      { ports: [{ port: 4318 }] },
    ]);
    const out = await dryRun(stdout);
    expect(out.stdout).toContain('networkpolicy.networking.k8s.io/mcpre-operator created (server dry run)');
    // A rule without ports would allow every port: refused with a message instead.
    await expect(
      renderChart('mcpre', [
        '--set',
        'operatorNetworkPolicy.enabled=true',
        '--set',
        'operatorNetworkPolicy.apiServerPorts=null',
      ]),
    ).rejects.toThrow(/apiServerPorts must list at least one port/);
  });

  it('networkPolicy.namespaces renders one policy per namespace', async () => {
    await createNamespace('team-c');
    await createNamespace('team-d');
    const { stdout } = await renderChart('mcpre', ['--set', 'networkPolicy.namespaces={team-c,team-d}']);
    const policies = parse(stdout).filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.namespace)).toEqual(['team-c', 'team-d']);
    const out = await dryRun(stdout);
    expect(out.stdout.match(/networkpolicy.networking.k8s.io\/\S+ created \(server dry run\)/g)).toHaveLength(2);
  });
});
