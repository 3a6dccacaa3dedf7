// Kubernetes Events for what a person should see in `kubectl describe`: one per validation failure (a condition
// turning False, or failing for a new reason) and one per readiness change. Derived from the condition change that is
// being written, so a reconcile that changes nothing emits nothing.
import { type Condition, ConditionType } from '../conditions.ts';

export interface EndpointEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  /** Human-readable; events.k8s.io caps notes at 1 kB. */
  note: string;
  action: 'Validate' | 'Provision' | 'Ready' | 'Terminate';
}

const NOTE_MAX = 1024;
const VALIDATION_CONDITIONS: readonly string[] = [
  ConditionType.GroupRefValid,
  ConditionType.AuthConfigValid,
  ConditionType.CABundleValid,
  ConditionType.ToolConfigValid,
  ConditionType.ConfigurationValid,
];

export function eventsForTransition(previous: readonly Condition[], next: readonly Condition[]): EndpointEvent[] {
  const before = new Map(previous.map((c) => [c.type, c]));
  const events: EndpointEvent[] = [];
  const seenReasons = new Set<string>();
  for (const c of next) {
    if (!VALIDATION_CONDITIONS.includes(c.type) || c.status !== 'False') continue;
    const prev = before.get(c.type);
    if (prev && prev.status === 'False' && prev.reason === c.reason) continue;
    // ConfigurationValid repeats the reason of a failed reference condition: one event per reason is enough.
    if (seenReasons.has(c.reason)) continue;
    seenReasons.add(c.reason);
    const note = c.type === ConditionType.ConfigurationValid ? c.message : `${c.type}: ${c.message}`;
    events.push({ type: 'Warning', reason: c.reason, note: cap(note), action: 'Validate' });
  }
  const readyBefore = before.get(ConditionType.Ready);
  const readyNow = next.find((c) => c.type === ConditionType.Ready);
  if (readyNow?.status === 'True' && readyBefore?.status !== 'True') {
    events.push({ type: 'Normal', reason: 'Ready', note: cap(readyNow.message), action: 'Ready' });
  } else if (readyNow && readyNow.status !== 'True' && readyBefore?.status === 'True') {
    events.push({
      type: 'Warning',
      reason: 'NotReady',
      note: cap(`${readyNow.reason}: ${readyNow.message}`),
      action: 'Ready',
    });
  }
  const deployNow = next.find((c) => c.type === ConditionType.DeploymentReady);
  const deployBefore = before.get(ConditionType.DeploymentReady);
  if (
    deployNow?.status === 'False' &&
    (deployNow.reason === 'ProgressDeadlineExceeded' || deployNow.reason === 'ProvisioningFailed') &&
    deployBefore?.reason !== deployNow.reason
  ) {
    events.push({ type: 'Warning', reason: deployNow.reason, note: cap(deployNow.message), action: 'Provision' });
  }
  return events;
}

function cap(note: string): string {
  return note.length <= NOTE_MAX ? note : `${note.slice(0, NOTE_MAX - 3)}...`;
}
