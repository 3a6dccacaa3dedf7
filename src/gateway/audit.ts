// One audit line per backend call. Fields are chosen so that a line can be shown to anyone who may read logs: the
// remote URL loses its credentials, query and fragment, identities are subjects (never tokens), and the outgoing auth
// appears as a method name only.
import type { Logger } from 'pino';
import { fingerprint } from '../actors/mcp/log.ts';
import { childLogger } from '../runtime/logging.ts';
import type { OutgoingAuthMethod } from './backend.ts';

export interface AuditRecord {
  /** `anonymous` or the validated token's subject. */
  client: string;
  /** The downstream MCP session id; the log line carries its fingerprint, as the id lets its holder use the session. */
  session: string | undefined;
  method: string;
  /** Tool or prompt name (as the client saw it) or resource URI. */
  target: string | undefined;
  backend: string;
  remoteUrl: string;
  authMethod: OutgoingAuthMethod;
  /**
   * `denied`: the authorization policy refused the request; the backend never saw it. `refused`: a line of its own
   * for a server request (`method`) that arrived with no call in flight to answer it (server-requests.ts).
   */
  outcome: 'ok' | 'error' | 'cancelled' | 'denied' | 'refused';
  /** HTTP status of the backend's answer, when the request reached HTTP. */
  remoteStatus: number | undefined;
  durationMs: number;
  /** Error message from the backend or the transport (backend text, not gateway secrets). */
  error?: string;
  /** Requests the backend sent to the client during the call (sampling, elicitation, roots): relayed or refused. */
  serverRequests?: ServerRequestNote[];
}

/** One request the backend sent to the client during a call, as its audit line shows it (server-requests.ts). */
export interface ServerRequestNote {
  method: string;
  /**
   * `call`: it arrived on the call's own response stream; `stream`: on the backend's GET stream; `input`: embedded
   * in a 2026-07-28 `input_required` result (input-required.ts).
   */
  via: 'call' | 'stream' | 'input';
  outcome: 'relayed' | 'refused' | 'failed';
  reason?: string;
}

export type AuditSink = (record: AuditRecord) => void;

export function auditLogger(logger: Logger): AuditSink {
  // A record's fields are the fixed ones above, none of them a key the root redacts by path (authorization, headers,
  // token): the root's wildcard paths would clone and walk every record for nothing, on every call. Secret values
  // are still caught in the written line by the root's streamWrite hook (redactLogLine).
  const audit = childLogger(logger, { component: 'audit' }, { redact: [] });
  return (record) =>
    audit.info(
      { audit: record.session === undefined ? record : { ...record, session: sessionFingerprint(record.session) } },
      'backend call',
    );
}

/** Fingerprints of the sessions audited lately: a session makes many calls, and each would hash its id again. */
const sessionFingerprint = remembered((session) => fingerprint(session));

/** The URL without user info, query or fragment: those are where credentials hide. One per backend, asked for on every call. */
export const auditableUrl = remembered((url) => {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
});

/** `make` with its answers kept for up to 4,096 keys (all forgotten at once when full, so memory stays bounded). */
function remembered(make: (key: string) => string): (key: string) => string {
  const known = new Map<string, string>();
  return (key) => {
    let out = known.get(key);
    if (out !== undefined) return out;
    out = make(key);
    if (known.size >= 4096) known.clear();
    known.set(key, out);
    return out;
  };
}
