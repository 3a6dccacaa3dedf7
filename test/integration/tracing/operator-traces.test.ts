// `mcpre operator` with the OTEL_* variables set exports (by OTLP/gRPC) one span per reconcile to a real Jaeger: the endpoint's
// reconcile carries its actor's state changes as events and has its API writes (the status patch) as children; a
// VirtualMCPServer's reconcile has the writes of the gateway's objects as children.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GROUP, API_VERSION, VIRTUAL_MCP_SERVER } from '../../../src/api/resources.ts';
import { eventsOf, type JaegerSpan, parentOf, type RunningJaeger, startJaeger, tagsOf } from '../../support/jaeger.ts';
import { type OperatorProcess, startOperatorProcess } from '../deploy/operator-process.ts';
import { directSpec, type Env, endpointBody, groupBody, R, startEnv, waitForEndpoint } from '../operator/harness.ts';

const OPERATOR = 'mcpre-operator-under-test';

describe('operator traces in Jaeger', () => {
  let env: Env;
  let jaeger: RunningJaeger;
  let operator: OperatorProcess;
  /** The operator's one namespace (--namespace): both tests' objects live there. */
  let ns: string;

  beforeAll(async () => {
    [env, jaeger] = await Promise.all([startEnv(), startJaeger()]);
  });
  afterAll(async () => {
    await operator?.stop();
    await jaeger?.close();
    await env?.stop();
  });

  it('exports a reconcile span per endpoint, with state events and its status write as a child', async () => {
    ns = await env.cp.namespace('traced');
    await env.kube.create(R.group, ns, groupBody('engineering'));
    await env.kube.create(R.endpoint, ns, endpointBody('traced-ep', directSpec()));
    // Over OTLP/gRPC (the gateway tests use OTLP/HTTP): both of Jaeger's receivers are exercised.
    const otel = {
      ...jaeger.env(OPERATOR),
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpc,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    };
    operator = startOperatorProcess(['--kubeconfig', env.cp.kubeconfigPath, '--namespace', ns], otel);
    await waitForEndpoint(env, ns, 'traced-ep', 'Ready', (e) => e.status?.phase === 'Ready');

    const isReconcile = (s: JaegerSpan) =>
      s.operationName === 'reconcile endpoint' && tagsOf(s)['mcpre.object.name'] === 'traced-ep';
    const trace = await jaeger.waitForTrace(OPERATOR, (t) =>
      t.spans.some(
        (s) => isReconcile(s) && t.spans.some((w) => w.operationName === 'kube PATCH' && parentOf(w) === s.spanID),
      ),
    );
    const reconcile = trace.spans.find(isReconcile) as JaegerSpan;
    expect(tagsOf(reconcile)).toMatchObject({ 'k8s.namespace.name': ns, 'mcpre.object.kind': 'endpoint' });
    // A new endpoint's first reconcile: a fresh actor from its initial state to the status write (whose PATCH is the
    // child below). Later wake-ups (the watch event of that write) may join this span or start their own.
    const events = eventsOf(reconcile);
    expect(events[0]).toBe('state pending');
    expect(events).toContain('state ready.publishing.writing');
    const patch = trace.spans.find((s) => s.operationName === 'kube PATCH' && parentOf(s) === reconcile.spanID);
    expect(tagsOf(patch as JaegerSpan)['url.path']).toBe(
      `/apis/${API_GROUP}/${API_VERSION}/namespaces/${ns}/mcpremoteendpoints/traced-ep/status`,
    );
  });

  it("exports a VirtualMCPServer's reconcile with the writes of its gateway objects as children", async () => {
    await env.kube.create(VIRTUAL_MCP_SERVER, ns, {
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'VirtualMCPServer',
      metadata: { name: 'traced-vmcp' },
      spec: { groupRef: 'engineering' },
    });
    const isReconcile = (s: JaegerSpan) =>
      s.operationName === 'reconcile virtualMcpServer' && tagsOf(s)['mcpre.object.name'] === 'traced-vmcp';
    const trace = await jaeger.waitForTrace(OPERATOR, (t) =>
      t.spans.some(
        (s) => isReconcile(s) && t.spans.some((w) => w.operationName.startsWith('kube ') && parentOf(w) === s.spanID),
      ),
    );
    const reconcile = trace.spans.find(isReconcile) as JaegerSpan;
    const writes = trace.spans.filter((w) => w.operationName.startsWith('kube ') && parentOf(w) === reconcile.spanID);
    expect(writes.map((w) => String(tagsOf(w)['url.path']))).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`/namespaces/${ns}/deployments/`))]),
    );
  });
});
