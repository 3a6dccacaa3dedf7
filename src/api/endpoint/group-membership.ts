// MCPGroup membership as the RFC's "MCPGroup Controller Update" defines it: the sorted names of the endpoints whose
// spec.groupRef names the group, and their count. Endpoints being deleted have left.
import type { Endpoint, Group } from './model.ts';

export interface Membership {
  remoteEndpoints: string[];
  remoteEndpointCount: number;
}

export function membershipOf(groupName: string, endpoints: Iterable<Endpoint>): Membership {
  const names: string[] = [];
  for (const e of endpoints) {
    if (e.spec?.groupRef === groupName && !e.metadata.deletionTimestamp) names.push(e.metadata.name);
  }
  names.sort();
  return { remoteEndpoints: names, remoteEndpointCount: names.length };
}

/** True when the group's status already says exactly this (then nothing is written). */
export function membershipCurrent(group: Group, m: Membership): boolean {
  const s = group.status ?? {};
  const current = s.remoteEndpoints ?? [];
  return (
    s.phase === 'Ready' &&
    (s.observedGeneration ?? 0) === (group.metadata.generation ?? 0) &&
    s.remoteEndpointCount === m.remoteEndpointCount &&
    current.length === m.remoteEndpoints.length &&
    current.every((n, i) => n === m.remoteEndpoints[i])
  );
}
