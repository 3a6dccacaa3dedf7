// The protocol revisions the backend session speaks, by era, and the choice among those a server offers. Pure.
// Modern revisions carry their version on every request; legacy ones negotiate it once with `initialize` (the legacy
// list is SPOKEN_VERSIONS in src/actors/mcp/connection.ts, which does that negotiation).
import type { EraDecision, ProtocolEra } from './backend-session-protocol.ts';

/** The modern revisions we speak, newest first. */
export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];

/** The era a revision belongs to: the first modern revision and everything after it are modern. */
export function eraOfVersion(version: string): ProtocolEra {
  const oldestModern = MODERN_VERSIONS[MODERN_VERSIONS.length - 1] ?? '2026-07-28';
  return version >= oldestModern ? 'modern' : 'legacy';
}

/** The newest modern revision both sides speak, if any. */
export function newestCommonModern(offered: readonly string[]): string | undefined {
  return MODERN_VERSIONS.find((v) => offered.includes(v));
}

export function modernDecision(version: string, reason: string): EraDecision {
  return { era: 'modern', version, reason };
}

export function legacyDecision(reason: string): EraDecision {
  return { era: 'legacy', version: undefined, reason };
}
