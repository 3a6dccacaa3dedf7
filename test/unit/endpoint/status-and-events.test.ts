import { describe, expect, it } from 'vitest';
import { assessDeployment } from '../../../src/api/endpoint/deployment.ts';
import { eventsForTransition } from '../../../src/api/endpoint/events.ts';
import type { Deployment } from '../../../src/api/endpoint/model.ts';
import { desiredStatus, planStatus } from '../../../src/api/endpoint/status.ts';
import { validateEndpoint } from '../../../src/api/endpoint/validation.ts';
import { directEndpoint, NOW, proxyEndpoint, snapshotOf } from './fixtures.ts';

const LATER = '2026-01-01T01:00:00Z';

describe('desiredStatus + planStatus', () => {
  it('direct and valid: Ready, url = remoteURL; the second plan over the written status changes nothing', () => {
    const ep = directEndpoint();
    const validation = validateEndpoint(snapshotOf(ep));
    const desired = desiredStatus(ep, { kind: 'direct', validation });
    expect(desired.phase).toBe('Ready');
    expect(desired.url).toBe('https://mcp.context7.com/mcp');
    const first = planStatus(ep, desired, NOW);
    expect(first.changed).toBe(true);
    const written = { ...ep, status: { ...first.status, url: first.status.url ?? undefined } };
    const second = planStatus(written, desiredStatus(written, { kind: 'direct', validation }), LATER);
    expect(second.changed).toBe(false);
  });

  it('a new generation alone is a change (observedGeneration moves)', () => {
    const ep = directEndpoint();
    const validation = validateEndpoint(snapshotOf(ep));
    const first = planStatus(ep, desiredStatus(ep, { kind: 'direct', validation }), NOW);
    const bumped = {
      ...ep,
      metadata: { ...ep.metadata, generation: 2 },
      status: { ...first.status, url: first.status.url ?? undefined },
    };
    const plan = planStatus(bumped, desiredStatus(bumped, { kind: 'direct', validation }), LATER);
    expect(plan.changed).toBe(true);
    expect(plan.status.conditions.every((c) => c.observedGeneration === 2)).toBe(true);
    // Nothing flipped, so no transition time moved.
    expect(plan.status.conditions.every((c) => c.lastTransitionTime === NOW)).toBe(true);
  });

  it('invalid: Failed, url cleared, Ready=False with the first failure reason', () => {
    const ep = directEndpoint();
    const validation = validateEndpoint(snapshotOf(ep, { group: null }));
    const desired = desiredStatus(ep, { kind: 'invalid', validation });
    expect(desired).toMatchObject({ phase: 'Failed', url: null });
    expect(desired.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'GroupNotFound',
    });
  });

  it('proxy: Pending with no url until the Deployment is available, then the Service URL', () => {
    const ep = proxyEndpoint();
    const validation = validateEndpoint(snapshotOf(ep));
    const pending = desiredStatus(ep, {
      kind: 'proxy',
      validation,
      deployment: assessDeployment(null, 'mcpre-internal-api'),
    });
    expect(pending).toMatchObject({ phase: 'Pending', url: null });
    expect(pending.conditions.find((c) => c.type === 'DeploymentReady')).toMatchObject({
      status: 'False',
      reason: 'DeploymentPending',
    });
    const ready = desiredStatus(ep, {
      kind: 'proxy',
      validation,
      deployment: { state: 'ready', reason: 'DeploymentAvailable', message: '' },
    });
    expect(ready).toMatchObject({ phase: 'Ready', url: 'http://mcpre-internal-api.team-a.svc.cluster.local:8080' });
  });

  it('terminating: phase Terminating and no url', () => {
    const ep = proxyEndpoint();
    const desired = desiredStatus(ep, { kind: 'terminating', validation: validateEndpoint(snapshotOf(ep)) });
    expect(desired).toMatchObject({ phase: 'Terminating', url: null });
  });
});

describe('assessDeployment', () => {
  const dep = (status: Deployment['status'], generation = 1): Deployment => ({
    metadata: { name: 'd', generation },
    spec: { replicas: 1 },
    status,
  });
  it('reads availability from the Deployment status, not from pods', () => {
    expect(assessDeployment(dep({}), 'd').state).toBe('pending');
    expect(assessDeployment(dep({ observedGeneration: 1, availableReplicas: 1, updatedReplicas: 1 }), 'd').state).toBe(
      'pending',
    );
    const available = {
      observedGeneration: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
      conditions: [{ type: 'Available', status: 'True' }],
    };
    expect(assessDeployment(dep(available), 'd')).toMatchObject({ state: 'ready', reason: 'DeploymentAvailable' });
    // A spec change the controller has not seen yet is not ready, however many replicas are up.
    expect(assessDeployment(dep(available, 2), 'd')).toMatchObject({
      state: 'pending',
      reason: 'DeploymentProgressing',
    });
    const stuck = { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] };
    expect(assessDeployment(dep(stuck), 'd')).toMatchObject({ state: 'failed', reason: 'ProgressDeadlineExceeded' });
  });
});

describe('eventsForTransition', () => {
  const c = (type: string, status: 'True' | 'False', reason: string) => ({
    type,
    status,
    reason,
    message: `${type} ${reason}`,
    lastTransitionTime: NOW,
  });
  it('one Warning per new validation failure reason, none when nothing changed', () => {
    const next = [
      c('GroupRefValid', 'False', 'GroupNotFound'),
      c('ConfigurationValid', 'False', 'GroupNotFound'),
      c('Ready', 'False', 'GroupNotFound'),
    ];
    const events = eventsForTransition([], next);
    expect(events).toEqual([
      {
        type: 'Warning',
        reason: 'GroupNotFound',
        note: 'GroupRefValid: GroupRefValid GroupNotFound',
        action: 'Validate',
      },
    ]);
    expect(eventsForTransition(next, next)).toEqual([]);
  });

  it('Normal Ready when Ready turns True, Warning NotReady when it turns False', () => {
    const ready = [c('Ready', 'True', 'Validated')];
    const notReady = [c('Ready', 'False', 'DeploymentNotReady')];
    expect(eventsForTransition([], ready).map((e) => [e.type, e.reason])).toEqual([['Normal', 'Ready']]);
    expect(eventsForTransition(ready, notReady).map((e) => [e.type, e.reason])).toEqual([['Warning', 'NotReady']]);
    // First sight of a not-ready proxy is not a readiness change.
    expect(eventsForTransition([], notReady)).toEqual([]);
  });

  it('a new reason for a condition that was already failing is a new event', () => {
    const before = [c('CABundleValid', 'False', 'CABundleNotFound')];
    const after = [c('CABundleValid', 'False', 'CABundleNotPEM')];
    expect(eventsForTransition(before, after).map((e) => e.reason)).toEqual(['CABundleNotPEM']);
  });
});
