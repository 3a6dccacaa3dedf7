// From a reconcile outcome to the endpoint's status (phase, url, conditions), and whether that differs from what the
// object already says. A status equal to the current one is never written, so a second reconcile of an unchanged
// object leaves its resourceVersion alone.
import {
  type Condition,
  ConditionType,
  type DesiredCondition,
  MANAGED_ENDPOINT_CONDITIONS,
  planPhaseStatus,
} from '../conditions.ts';
import type { DeploymentAssessment } from './deployment.ts';
import type { Endpoint, EndpointStatus } from './model.ts';
import { proxyServiceURL } from './proxy-names.ts';
import type { Failure, Validation } from './validation.ts';

export type Phase = NonNullable<EndpointStatus['phase']>;

export type Outcome =
  | { kind: 'invalid'; validation: Validation; deployment?: DeploymentAssessment }
  | { kind: 'direct'; validation: Validation }
  | { kind: 'proxy'; validation: Validation; deployment: DeploymentAssessment }
  | { kind: 'provisionFailed'; validation: Validation; error: Failure }
  | { kind: 'terminating'; validation: Validation };

export interface DesiredStatus {
  phase: Phase;
  /** null clears status.url. */
  url: string | null;
  conditions: DesiredCondition[];
}

export interface StatusPlan {
  changed: boolean;
  /** The operator-owned status fields to write (a merge patch; `url: null` removes the field). */
  status: { phase: Phase; url: string | null; observedGeneration: number; conditions: Condition[] };
  previous: Condition[];
}

export function desiredStatus(endpoint: Endpoint, outcome: Outcome): DesiredStatus {
  const isProxy = endpoint.spec.type === 'proxy';
  const conditions = [...outcome.validation.conditions];
  const ready = (status: 'True' | 'False', reason: string, message: string): DesiredCondition => ({
    type: ConditionType.Ready,
    status,
    reason,
    message,
  });
  const deploymentCondition = (a: { state: string; reason: string; message: string }): DesiredCondition => ({
    type: ConditionType.DeploymentReady,
    status: a.state === 'ready' ? 'True' : 'False',
    reason: a.reason,
    message: a.message,
  });

  switch (outcome.kind) {
    case 'invalid': {
      const first = outcome.validation.failures[0] ?? { reason: 'ValidationFailed', message: 'validation failed' };
      if (isProxy) {
        conditions.push(
          deploymentCondition(
            outcome.deployment ?? {
              state: 'pending',
              reason: 'ValidationFailed',
              message: 'the proxy is not provisioned until the configuration is valid',
            },
          ),
        );
      }
      const message = outcome.validation.failures.map((f) => f.message).join('; ');
      conditions.push(ready('False', first.reason, message));
      return { phase: 'Failed', url: null, conditions };
    }
    case 'direct':
      conditions.push(
        ready('True', 'Validated', `direct endpoint validated; gateways call ${endpoint.spec.remoteURL}`),
      );
      return { phase: 'Ready', url: endpoint.spec.remoteURL, conditions };
    case 'proxy': {
      conditions.push(deploymentCondition(outcome.deployment));
      if (outcome.deployment.state === 'ready') {
        const url = proxyServiceURL(endpoint);
        conditions.push(ready('True', 'ProxyReady', `proxy serving at ${url}`));
        return { phase: 'Ready', url, conditions };
      }
      const failed = outcome.deployment.state === 'failed';
      conditions.push(
        ready('False', failed ? outcome.deployment.reason : 'DeploymentNotReady', outcome.deployment.message),
      );
      return { phase: failed ? 'Failed' : 'Pending', url: null, conditions };
    }
    case 'provisionFailed':
      conditions.push(deploymentCondition({ state: 'failed', ...outcome.error }));
      conditions.push(ready('False', outcome.error.reason, outcome.error.message));
      return { phase: 'Failed', url: null, conditions };
    case 'terminating':
      conditions.push(
        ready(
          'False',
          'Terminating',
          'endpoint is being deleted; removing the proxy Deployment, Service and ServiceAccount',
        ),
      );
      return { phase: 'Terminating', url: null, conditions };
  }
}

export function planStatus(endpoint: Endpoint, desired: DesiredStatus, now: string): StatusPlan {
  const current = endpoint.status ?? {};
  const planned = planPhaseStatus(current, desired, {
    managed: MANAGED_ENDPOINT_CONDITIONS,
    now,
    generation: endpoint.metadata.generation ?? 0,
  });
  return { ...planned, previous: current.conditions ?? [] };
}
