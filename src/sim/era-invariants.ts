// What must hold for simulated backends of the 2026-07-28 era: nothing of a 2025 session reaches them, and a broken
// `subscriptions/listen` stream is opened again while the session lives. Checked on what the machine sends through
// the port, as the simulated backend saw it, so the checks do not trust the machine's own bookkeeping.
import type { ProtocolEra } from '../machines/backend-session-protocol.ts';
import type { Violation } from './invariants.ts';

/** One request as it reached a simulated backend. */
export interface WireRecord {
  backend: string;
  /** The era the backend speaks when the request arrives. */
  backendEra: ProtocolEra;
  /** The era of the connection the request came on (what the machine chose, by probe or cache). */
  connectionEra: ProtocolEra;
  /** e.g. `tools/call`, `list tools`, `listen`. */
  what: string;
  /** The `Mcp-Session-Id` the request carried. */
  sessionId: string | undefined;
  /** The `Last-Event-ID` the request carried (a 2025 stream resumption). */
  lastEventId: string | undefined;
  /** Whether an earlier request on the same connection was refused for its revision. */
  afterRefusal: boolean;
}

/**
 * No session id and no stream cursor reach a 2026 backend on a connection the machine opened in that era, nor on any
 * connection after the backend refused the revision it spoke (the machine was told; it must re-classify, not retry).
 */
export function checkWire(r: WireRecord): Violation[] {
  if (r.backendEra !== 'modern') return [];
  if (r.sessionId === undefined && r.lastEventId === undefined) return [];
  if (r.connectionEra !== 'modern' && !r.afterRefusal) return [];
  const sent = [r.sessionId && `Mcp-Session-Id ${r.sessionId}`, r.lastEventId && `Last-Event-ID ${r.lastEventId}`]
    .filter(Boolean)
    .join(' and ');
  return [{ invariant: 'noSessionIdToModern', detail: `${r.backend}: ${r.what} carried ${sent}` }];
}

/**
 * After a listen stream of a 2026 backend breaks (dropped by the server, or refused when opened), the session opens
 * it again within the longest wait the policy allows (or the server's `retry` hint, if longer), unless it leaves
 * `ready` first (circuit open, era changed, closed): then the next session opens its own.
 */
export class ListenReopenCheck {
  readonly #maxWaitMs: number;
  /** Backend name -> the latest moment a new listen attempt must arrive. */
  readonly #due = new Map<string, number>();

  constructor(maxWaitMs: number) {
    this.#maxWaitMs = maxWaitMs;
  }

  broken(backend: string, at: number, retryMs?: number): void {
    this.#due.set(backend, at + Math.max(this.#maxWaitMs, retryMs ?? 0));
  }

  attempted(backend: string): void {
    this.#due.delete(backend);
  }

  /** The backend's session is no longer `ready`: no stream is owed until it is again. */
  left(backend: string): void {
    this.#due.delete(backend);
  }

  check(now: number): Violation[] {
    const out: Violation[] = [];
    for (const [backend, due] of this.#due) {
      if (now <= due) continue;
      this.#due.delete(backend);
      out.push({
        invariant: 'listenStreamReopened',
        detail: `${backend}: no subscriptions/listen attempt by ${due} ms after its stream broke (now ${now} ms)`,
      });
    }
    return out;
  }
}
