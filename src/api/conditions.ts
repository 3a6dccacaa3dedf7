// Kubernetes conditions (metav1.Condition) as the API conventions define them: CamelCase type and reason, a readable
// message, observedGeneration, and a lastTransitionTime that moves only when the status flips. Pure functions: the
// caller supplies `now`, so the same inputs always give the same output (simulations replay byte for byte).

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** What a reconciler wants a condition to say; the timestamp is filled in when the condition is merged. */
export interface DesiredCondition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** The endpoint's condition types (RFC THV-0067, "Condition types"). */
export const ConditionType = {
  Ready: 'Ready',
  GroupRefValid: 'GroupRefValid',
  AuthConfigValid: 'AuthConfigValid',
  CABundleValid: 'CABundleValid',
  ToolConfigValid: 'ToolConfigValid',
  DeploymentReady: 'DeploymentReady',
  ConfigurationValid: 'ConfigurationValid',
} as const;
export type EndpointConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** Every condition type the operator owns on an MCPRemoteEndpoint; others (a gateway's) are left untouched. */
export const MANAGED_ENDPOINT_CONDITIONS: readonly string[] = [
  ConditionType.Ready,
  ConditionType.GroupRefValid,
  ConditionType.AuthConfigValid,
  ConditionType.CABundleValid,
  ConditionType.ToolConfigValid,
  ConditionType.DeploymentReady,
  ConditionType.ConfigurationValid,
];

/** Maximum message length the CRD schema accepts; longer messages are cut so a status write is never rejected. */
const MAX_MESSAGE = 32_768;

/**
 * Merges desired conditions into the existing list. For each managed type: present in `desired` means set (keeping
 * lastTransitionTime when the status did not flip), absent means removed. Conditions of unmanaged types keep their
 * place and content. The output order is canonical (managed in `managed` order, then the others as they were), so
 * two merges of the same inputs compare equal.
 */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  opts: { managed: readonly string[]; now: string; observedGeneration?: number },
): Condition[] {
  const byType = new Map((existing ?? []).map((c) => [c.type, c]));
  const wanted = new Map(desired.map((d) => [d.type, d]));
  const out: Condition[] = [];
  for (const type of opts.managed) {
    const want = wanted.get(type);
    if (!want) continue;
    const prev = byType.get(type);
    const next: Condition = {
      type,
      status: want.status,
      reason: want.reason,
      message: truncate(want.message),
      lastTransitionTime: prev && prev.status === want.status ? prev.lastTransitionTime : opts.now,
    };
    if (opts.observedGeneration !== undefined) next.observedGeneration = opts.observedGeneration;
    out.push(next);
  }
  for (const c of existing ?? []) {
    if (!opts.managed.includes(c.type)) out.push(c);
  }
  return out;
}

/** True when both lists say the same thing: same types, statuses, reasons, messages, generations and times. */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  const byType = new Map(right.map((c) => [c.type, c]));
  for (const c of left) {
    const o = byType.get(c.type);
    if (!o) return false;
    if (
      o.status !== c.status ||
      o.reason !== c.reason ||
      o.message !== c.message ||
      (o.observedGeneration ?? null) !== (c.observedGeneration ?? null) ||
      o.lastTransitionTime !== c.lastTransitionTime
    ) {
      return false;
    }
  }
  return true;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}

/** The operator-owned status of a resource that reports a phase, a URL and conditions (a merge patch). */
export interface PhaseStatus<P extends string> {
  phase: P;
  /** null clears status.url. */
  url: string | null;
  observedGeneration: number;
  conditions: Condition[];
}

/**
 * The status to write for a phase/URL/conditions resource at `generation`: the desired conditions merged into the
 * stored ones, and whether any of it differs from what is stored (unchanged: no write).
 */
export function planPhaseStatus<P extends string>(
  stored: { phase?: string; url?: string | null; observedGeneration?: number | null; conditions?: Condition[] },
  desired: { phase: P; url: string | null; conditions: readonly DesiredCondition[] },
  opts: { managed: readonly string[]; now: string; generation: number },
): { changed: boolean; status: PhaseStatus<P> } {
  const generation = opts.generation;
  const conditions = mergeConditions(stored.conditions, desired.conditions, {
    managed: opts.managed,
    now: opts.now,
    observedGeneration: generation,
  });
  const changed =
    stored.phase !== desired.phase ||
    (stored.url ?? null) !== desired.url ||
    (stored.observedGeneration ?? null) !== generation ||
    !conditionsEqual(stored.conditions, conditions);
  return { changed, status: { phase: desired.phase, url: desired.url, observedGeneration: generation, conditions } };
}
