// One reconcile's decision for a VirtualMCPServer, from its snapshot alone: gone, group missing, a spec or config the
// gateway could not start with (a bad session store or telemetry setting, a Secret it names missing), or the objects
// to apply (only those whose applied hash differs from what the caches hold, so an unchanged VirtualMCPServer costs
// no write and its pods do not roll).
import type { DesiredCondition } from '../conditions.ts';
import { appliedHash } from '../endpoint/proxy-objects.ts';
import { telemetryProblems, telemetrySecretProblems } from '../telemetry-env.ts';
import type { RenderedConfig } from './config.ts';
import { renderVmcpObjects, type VmcpManifest, type VmcpSettings } from './objects.ts';
import { renderGatewayConfigMemo } from './render-memo.ts';
import { type ReplicaDecision, replicaPolicy } from './replicas.ts';
import { sessionStorage } from './session-storage.ts';
import type { VmcpSnapshot } from './snapshot.ts';
import { backendsCondition } from './status.ts';

export type VmcpPlan =
  | { kind: 'gone' }
  | { kind: 'groupMissing' }
  | { kind: 'invalid'; reason: string; message: string; replicas: ReplicaDecision; backends: DesiredCondition }
  | {
      kind: 'apply';
      rendered: RenderedConfig;
      replicas: ReplicaDecision;
      backends: DesiredCondition;
      /** Every desired object (for tests and inspection) and the subset that must be written. */
      desired: VmcpManifest[];
      apply: VmcpManifest[];
    };

export function planVmcp(snapshot: VmcpSnapshot, settings: VmcpSettings): VmcpPlan {
  const vmcp = snapshot.vmcp;
  if (!vmcp || vmcp.metadata.deletionTimestamp) return { kind: 'gone' };
  if (!snapshot.group) return { kind: 'groupMissing' };
  const store = sessionStorage(vmcp, snapshot.secrets, snapshot.configMaps);
  const storage = 'storage' in store ? store.storage : ({ provider: 'memory' } as const);
  const result = renderGatewayConfigMemo(snapshot, storage);
  const mode = vmcp.spec.outgoingAuth?.source === 'discovered' ? 'discovered' : 'inline';
  const replicas = replicaPolicy(
    vmcp.spec.replicas,
    result.ok ? result.rendered.directEndpoints : result.directEndpoints,
    vmcp.spec.groupRef,
    storage.provider,
  );
  const backends = backendsCondition(mode, result.ok ? result.rendered.backends : result.backends, vmcp.spec.groupRef);
  const specProblems = [
    ...('problem' in store ? [store.problem] : []),
    ...telemetryProblems(vmcp.spec.telemetry, 'spec.telemetry'),
    ...telemetrySecretProblems(vmcp.spec.telemetry, 'spec.telemetry', snapshot.secrets),
  ];
  const first = specProblems[0];
  if (first) {
    const message = specProblems.map((p) => p.message).join('; ');
    return { kind: 'invalid', reason: first.reason, message, replicas, backends };
  }
  if (!result.ok)
    return { kind: 'invalid', reason: 'InvalidGatewayConfig', message: result.message, replicas, backends };
  const desired = renderVmcpObjects(vmcp, result.rendered, replicas.replicas, settings);
  const apply = desired.filter((m) => appliedHash(snapshot.owned[m.kind]) !== appliedHash(m));
  return { kind: 'apply', rendered: result.rendered, replicas, backends, desired, apply };
}
