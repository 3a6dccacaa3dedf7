// spec.telemetry on the gateway Deployment: the OTEL_* variables (sensitive headers through secretKeyRef, declared
// before the variable that refers to them), and conditions for a bad block or a missing Secret.

import { describe, expect, it } from 'vitest';
import type { VirtualMCPServerTelemetry } from '../../../src/api/generated/index.ts';
import { planVmcp, type VmcpPlan } from '../../../src/api/vmcp/decision.ts';
import { vmcpReferences } from '../../../src/api/vmcp/snapshot.ts';
import { proxy, secret, snapshot, vmcp } from './fixtures.ts';

type Telemetry = VirtualMCPServerTelemetry;
const telemetry = (samplingRate = '0.5'): Telemetry => ({
  openTelemetry: {
    enabled: true,
    endpoint: 'otel-collector.observability.svc:4318',
    insecure: true,
    sensitiveHeaders: [{ name: 'Authorization', secretKeyRef: { name: 'otel-auth', key: 'token' } }],
    resourceAttributes: { 'deployment.environment': 'prod' },
    tracing: { enabled: true, samplingRate },
  },
});
const world = (t: Telemetry, secrets = [secret('otel-auth', ['token'])]) =>
  snapshot(vmcp('gw', { telemetry: t, outgoingAuth: { source: 'discovered' } }), [proxy('wiki', 'http://w:8080/mcp')], {
    secrets,
  });
const plan = (t: Telemetry, secrets?: ReturnType<typeof secret>[]): VmcpPlan =>
  planVmcp(world(t, secrets), { image: 'x' });

describe('VirtualMCPServer spec.telemetry', () => {
  it('reaches the gateway container as OTEL_* variables, the header value only by secretKeyRef', () => {
    const p = plan(telemetry());
    if (p.kind !== 'apply') throw new Error(p.kind);
    // biome-ignore lint/suspicious/noExplicitAny: tests read manifests loosely
    const dep = p.desired.find((m) => m.kind === 'Deployment')?.spec as any;
    const env = dep.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
    const names = env.map((e) => e.name);
    expect(env.filter((e) => e.name.startsWith('OTEL_') || e.name.startsWith('MCPRE_OTEL_'))).toEqual([
      { name: 'MCPRE_OTEL_HEADER_0', valueFrom: { secretKeyRef: { name: 'otel-auth', key: 'token' } } },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc:4318' },
      { name: 'OTEL_EXPORTER_OTLP_HEADERS', value: 'Authorization=$(MCPRE_OTEL_HEADER_0)' },
      { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
      { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'deployment.environment=prod' },
      { name: 'OTEL_SERVICE_NAME', value: 'gw' },
      { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
      { name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.5' },
    ]);
    // The kubelet expands $(NAME) only for variables declared earlier in the list.
    expect(names.indexOf('MCPRE_OTEL_HEADER_0')).toBeLessThan(names.indexOf('OTEL_EXPORTER_OTLP_HEADERS'));
    const cm = p.desired.find((m) => m.kind === 'ConfigMap');
    expect(JSON.stringify(cm)).not.toMatch(/otel/i);
  });

  it('wakes on the header Secret in discovered mode too', () => {
    expect(vmcpReferences(world(telemetry()))).toContain('Secret:team-a/otel-auth');
  });

  it('a bad block or a missing Secret is a condition, not a Deployment', () => {
    expect(plan(telemetry('half'))).toMatchObject({
      kind: 'invalid',
      reason: 'TelemetryInvalid',
      message: 'spec.telemetry.openTelemetry.tracing.samplingRate "half" is not a number from 0.0 to 1.0',
    });
    expect(plan(telemetry(), [])).toMatchObject({
      kind: 'invalid',
      reason: 'TelemetrySecretNotFound',
      message: expect.stringContaining('Secret "otel-auth"'),
    });
  });
});
