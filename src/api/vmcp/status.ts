// From a reconcile outcome to the VirtualMCPServer's operator-owned status (phase, url, conditions,
// observedGeneration), and whether that differs from what the object already says. The gateway's fields (backends,
// backendCount, backendsReportedBy) are never part of this plan, so the two writers never overwrite each other.
import { type Condition, type DesiredCondition, planPhaseStatus } from '../conditions.ts';
import type { DeploymentAssessment } from '../endpoint/deployment.ts';
import type { VirtualMCPServerPhase } from '../generated/index.ts';
import type { StaticBackends } from './backends.ts';
import type { VirtualMCPServer } from './model.ts';
import { vmcpServiceURL } from './names.ts';
import { SINGLE_REPLICA_CONDITION } from './replicas.ts';

export const VmcpCondition = {
  Ready: 'Ready',
  GroupRefValid: 'GroupRefValid',
  ConfigurationValid: 'ConfigurationValid',
  BackendsConfigured: 'BackendsConfigured',
  SingleReplicaEnforced: SINGLE_REPLICA_CONDITION,
  DeploymentReady: 'DeploymentReady',
} as const;

/** The condition types the operator owns on a VirtualMCPServer, in the order they are written. */
export const MANAGED_VMCP_CONDITIONS: readonly string[] = [
  VmcpCondition.Ready,
  VmcpCondition.GroupRefValid,
  VmcpCondition.ConfigurationValid,
  VmcpCondition.BackendsConfigured,
  VmcpCondition.SingleReplicaEnforced,
  VmcpCondition.DeploymentReady,
];

export type VmcpOutcome =
  | { kind: 'groupMissing' }
  | {
      kind: 'invalidConfig';
      /** InvalidGatewayConfig, or what in the spec is wrong (SessionStorageInvalid, TelemetryInvalid, ...). */
      reason: string;
      message: string;
      replicas: DesiredCondition;
      backends: DesiredCondition;
    }
  | { kind: 'provisionFailed'; message: string; replicas: DesiredCondition; backends: DesiredCondition }
  | {
      kind: 'deployed';
      mode: 'inline' | 'discovered';
      deployment: DeploymentAssessment;
      replicas: DesiredCondition;
      backends: DesiredCondition;
    };

export interface DesiredVmcpStatus {
  phase: VirtualMCPServerPhase;
  url: string | null;
  conditions: DesiredCondition[];
}

export interface VmcpStatusPlan {
  changed: boolean;
  /** A merge patch of the operator's fields only; `url: null` removes the URL. */
  status: { phase: VirtualMCPServerPhase; url: string | null; observedGeneration: number; conditions: Condition[] };
}

/** Which of the group's endpoints the gateway config includes; in discovered mode the gateway decides at runtime. */
export function backendsCondition(
  mode: 'inline' | 'discovered',
  backends: StaticBackends,
  groupName: string,
): DesiredCondition {
  const type = VmcpCondition.BackendsConfigured;
  if (mode === 'discovered') {
    return {
      type,
      status: 'True',
      reason: 'DiscoveredByGateway',
      message: `the gateway discovers the endpoints of group "${groupName}" itself`,
    };
  }
  const total = backends.included.length + backends.skipped.length;
  if (backends.skipped.length === 0) {
    return {
      type,
      status: 'True',
      reason: 'AllBackendsConfigured',
      message: `${total} of ${total} endpoints of group "${groupName}" are in the gateway config`,
    };
  }
  const onlyPending = backends.skipped.every((s) => s.pending);
  const detail = backends.skipped.map((s) => `${s.endpoint}: ${s.reason}`).join('; ');
  return {
    type,
    status: 'False',
    reason: onlyPending ? 'BackendsPending' : 'BackendsSkipped',
    message: `${backends.included.length} of ${total} endpoints of group "${groupName}" are in the gateway config; left out: ${detail}`,
  };
}

export function desiredVmcpStatus(vmcp: VirtualMCPServer, outcome: VmcpOutcome): DesiredVmcpStatus {
  const group = vmcp.spec.groupRef;
  const c = (type: string, status: 'True' | 'False', reason: string, message: string): DesiredCondition => ({
    type,
    status,
    reason,
    message,
  });
  const groupOk = c(VmcpCondition.GroupRefValid, 'True', 'GroupFound', `MCPGroup "${group}" exists`);
  switch (outcome.kind) {
    case 'groupMissing': {
      const message = `MCPGroup "${group}" (spec.groupRef) does not exist in this namespace; create it or fix spec.groupRef`;
      return {
        phase: 'Failed',
        url: null,
        conditions: [
          c(VmcpCondition.Ready, 'False', 'GroupNotFound', message),
          c(VmcpCondition.GroupRefValid, 'False', 'GroupNotFound', message),
        ],
      };
    }
    case 'invalidConfig':
    case 'provisionFailed': {
      const reason = outcome.kind === 'invalidConfig' ? outcome.reason : 'ProvisioningFailed';
      const message =
        outcome.kind === 'invalidConfig'
          ? `the gateway config was not written (the running gateway, if any, keeps its previous one): ${outcome.message}`
          : `the API server rejected the gateway objects: ${outcome.message}`;
      const conditions = [
        c(VmcpCondition.Ready, 'False', reason, message),
        groupOk,
        outcome.kind === 'invalidConfig'
          ? c(VmcpCondition.ConfigurationValid, 'False', reason, message)
          : c(VmcpCondition.ConfigurationValid, 'True', 'ConfigRendered', 'the gateway config is valid'),
        outcome.backends,
        outcome.replicas,
      ];
      if (outcome.kind === 'provisionFailed') {
        conditions.push(c(VmcpCondition.DeploymentReady, 'False', reason, message));
      }
      return { phase: 'Failed', url: null, conditions };
    }
    case 'deployed': {
      const d = outcome.deployment;
      const url = vmcpServiceURL(vmcp);
      const ready = d.state === 'ready';
      const conditions = [
        ready
          ? c(VmcpCondition.Ready, 'True', 'GatewayReady', `gateway serving group "${group}" at ${url}`)
          : c(VmcpCondition.Ready, 'False', d.state === 'failed' ? d.reason : 'DeploymentNotReady', d.message),
        groupOk,
        c(
          VmcpCondition.ConfigurationValid,
          'True',
          'ConfigRendered',
          `gateway config written (${outcome.mode === 'inline' ? 'inline: backends listed by the operator' : 'discovered: the gateway watches the group'})`,
        ),
        outcome.backends,
        outcome.replicas,
        c(VmcpCondition.DeploymentReady, ready ? 'True' : 'False', d.reason, d.message),
      ];
      return {
        phase: ready ? 'Ready' : d.state === 'failed' ? 'Failed' : 'Pending',
        url: ready ? url : null,
        conditions,
      };
    }
  }
}

export function planVmcpStatus(vmcp: VirtualMCPServer, desired: DesiredVmcpStatus, now: string): VmcpStatusPlan {
  const current = vmcp.status ?? {};
  return planPhaseStatus({ ...current, conditions: current.conditions as Condition[] | undefined }, desired, {
    managed: MANAGED_VMCP_CONDITIONS,
    now,
    generation: vmcp.metadata.generation ?? 0,
  });
}
