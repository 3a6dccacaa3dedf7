// Shared pieces for the session integration tests: a pino logger whose lines are kept for inspection, and bounded
// waits on a session actor.
import pino, { type Logger } from 'pino';
import { waitFor } from 'xstate';
import { MCP_LOG_REDACT_PATHS } from '../../../src/actors/mcp/log.ts';
import type { BackendSessionActor } from '../../../src/machines/backend-session-requests.ts';
import { type SessionPhase, sessionPhase, streamPhase } from '../../../src/machines/backend-session-status.ts';

export function captureLogger(level: pino.Level = 'trace'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino(
    { level, redact: { paths: MCP_LOG_REDACT_PATHS, censor: '[Redacted]' } },
    { write: (line: string) => lines.push(line) },
  );
  return { log, lines };
}

export async function waitForPhase(actor: BackendSessionActor, phase: SessionPhase, timeoutMs = 10_000) {
  await waitFor(actor, (s) => sessionPhase(s) === phase, { timeout: timeoutMs });
}

export async function waitForStream(
  actor: BackendSessionActor,
  phase: ReturnType<typeof streamPhase>,
  timeoutMs = 10_000,
) {
  await waitFor(actor, (s) => streamPhase(s) === phase, { timeout: timeoutMs });
}

/**
 * The notification stream is open and the lists it may have missed are fetched: a stream that opens without replay
 * (a fresh GET, any `subscriptions/listen`) re-fetches the announced lists once, so count list requests after this.
 */
export async function waitForStreamOpenAndListsSettled(actor: BackendSessionActor, timeoutMs = 10_000) {
  await waitFor(actor, (s) => streamPhase(s) === 'open' && s.matches({ session: { ready: { lists: 'idle' } } }), {
    timeout: timeoutMs,
  });
}
