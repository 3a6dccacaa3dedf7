// How many gateway pods run. THV-0067 "Session Constraints in Direct Mode": with the memory session store, sessions
// to type direct backends live in one gateway process, so while the group has any direct endpoint the Deployment is
// held at one replica (scaling to zero stays allowed), and a condition says so rather than quietly ignoring a higher
// spec.replicas. With a shared store (spec.sessionStorage.provider redis) any replica continues any client session
// and keeps its own backend sessions, so spec.replicas pods run.
import type { DesiredCondition } from '../conditions.ts';

export const SINGLE_REPLICA_CONDITION = 'SingleReplicaEnforced';

export interface ReplicaDecision {
  replicas: number;
  condition: DesiredCondition;
}

export function replicaPolicy(
  requested: number | undefined,
  directEndpoints: readonly string[],
  groupName: string,
  provider: 'memory' | 'redis' = 'memory',
): ReplicaDecision {
  const wanted = requested ?? 1;
  if (provider === 'redis') {
    return {
      replicas: wanted,
      condition: {
        type: SINGLE_REPLICA_CONDITION,
        status: 'False',
        reason: 'SharedSessionStore',
        message: `client sessions are kept in Redis (spec.sessionStorage.provider redis), so any replica serves any client; running spec.replicas (${wanted}) gateway pods`,
      },
    };
  }
  if (directEndpoints.length === 0) {
    return {
      replicas: wanted,
      condition: {
        type: SINGLE_REPLICA_CONDITION,
        status: 'False',
        reason: 'NoDirectEndpoints',
        message: `group "${groupName}" has no type direct endpoints; running spec.replicas (${wanted}) gateway pods`,
      },
    };
  }
  const names =
    directEndpoints.length > 5 ? `${directEndpoints.slice(0, 5).join(', ')}, ...` : directEndpoints.join(', ');
  const why =
    `group "${groupName}" has type direct endpoints (${names}) whose MCP sessions live in one gateway process, ` +
    'and only the replica holding the Lease may open them';
  const message =
    wanted > 1
      ? `spec.replicas asks for ${wanted} but is held at 1: ${why}; set spec.sessionStorage.provider redis or use type proxy endpoints to run more replicas`
      : `replicas held at most 1: ${why}`;
  return {
    replicas: Math.min(wanted, 1),
    condition: { type: SINGLE_REPLICA_CONDITION, status: 'True', reason: 'DirectEndpointsInGroup', message },
  };
}
