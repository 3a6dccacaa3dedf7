// DeploymentReady for a proxy endpoint, read from the Deployment's own status (observedGeneration, conditions,
// availableReplicas): never from pod phases, which say nothing about readiness probes or rollouts.
import type { Deployment } from './model.ts';

export interface DeploymentAssessment {
  state: 'ready' | 'pending' | 'failed';
  reason: string;
  message: string;
}

export function assessDeployment(deployment: Deployment | null, name: string): DeploymentAssessment {
  if (!deployment) {
    return { state: 'pending', reason: 'DeploymentPending', message: `waiting for Deployment "${name}" to be created` };
  }
  const status = deployment.status ?? {};
  const generation = deployment.metadata.generation ?? 0;
  const conditions = status.conditions ?? [];
  const progressing = conditions.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message: `Deployment "${name}" did not become available in time${progressing.message ? `: ${progressing.message}` : ''}; check its pods (kubectl describe deployment ${name})`,
    };
  }
  if ((status.observedGeneration ?? 0) < generation) {
    return {
      state: 'pending',
      reason: 'DeploymentProgressing',
      message: `Deployment "${name}" generation ${generation} not yet observed by the Deployment controller`,
    };
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const available = status.availableReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const availableCondition = conditions.find((c) => c.type === 'Available');
  if (availableCondition?.status === 'True' && available >= 1 && updated >= Math.min(wanted, 1)) {
    return {
      state: 'ready',
      reason: 'DeploymentAvailable',
      message: `Deployment "${name}" has ${available}/${wanted} replicas available`,
    };
  }
  const why = availableCondition?.message ? `: ${availableCondition.message}` : '';
  return {
    state: 'pending',
    reason: 'DeploymentUnavailable',
    message: `Deployment "${name}" has ${available}/${wanted} replicas available${why}`,
  };
}
