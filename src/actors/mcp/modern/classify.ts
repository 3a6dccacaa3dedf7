// Which era a backend speaks, found as the spec's versioning section says: a modern request first (`server/discover`,
// which every 2026-07-28 server MUST implement); a recognised modern answer (a DiscoverResult, or a modern JSON-RPC
// error such as UnsupportedProtocolVersion) means modern; method-not-found, a 2025-era error, or a 4xx whose body is
// no modern error means legacy (fall back to `initialize`). What cannot decide (5xx, network, 401/403, 429) is a
// retryable failure of the attempt, not a classification.
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode } from '../../../api/mcp-errors.ts';
import {
  legacyDecision,
  MODERN_VERSIONS,
  modernDecision,
  newestCommonModern,
} from '../../../machines/backend-session-era.ts';
import { BackendError, httpError, isRetryableStatus, protocolError } from '../errors.ts';
import type { EraDecision, SessionInfo } from '../protocol.ts';
import {
  type Envelope,
  META_SERVER_INFO,
  MODERN_ERROR_CODES,
  UNSUPPORTED_PROTOCOL_VERSION,
  withEnvelope,
} from './envelope.ts';
import { type ExchangeResult, type ExchangeTarget, exchange } from './exchange.ts';

/** The probe's outcome: the era, and for a modern server what its DiscoverResult said (so it is not asked twice). */
export interface Classification {
  decision: EraDecision;
  info?: SessionInfo;
}

/** A DiscoverResult as a SessionInfo (the modern session has no id and nothing negotiated but the revision). */
export function discoverInfo(result: Record<string, unknown>, version: string): SessionInfo {
  const meta = result._meta as Record<string, unknown> | undefined;
  const serverInfo = meta?.[META_SERVER_INFO] as SessionInfo['serverInfo'] | undefined;
  return {
    protocolVersion: version,
    transport: 'streamable-http',
    sessionId: undefined,
    serverInfo:
      serverInfo && typeof serverInfo.name === 'string' ? serverInfo : { name: 'unknown', version: 'unknown' },
    capabilities: (result.capabilities as ServerCapabilities | undefined) ?? {},
    instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
  };
}

const spoken = (legacy: readonly string[]) => [...MODERN_VERSIONS, ...legacy].join(', ');

function unsupported(offered: string[], legacy: readonly string[]): BackendError {
  return new BackendError({
    kind: 'unsupportedProtocol',
    retryable: false,
    supportedVersions: offered,
    message: `the server offers protocol versions ${offered.join(', ') || '(none)'}; mcpre speaks ${spoken(legacy)}`,
  });
}

/**
 * Decide from the answer to a `server/discover` sent at our newest modern revision. `legacy` is the list of 2025-era
 * revisions we can fall back to. Throws the failure when the answer decides nothing.
 */
export function classifyDiscover(result: ExchangeResult, legacy: readonly string[]): Classification {
  const { status, answer } = result;
  const what = 'server/discover';
  if (answer && 'result' in answer) {
    const body = answer.result as Record<string, unknown>;
    if (!Array.isArray(body.supportedVersions)) {
      // Not a DiscoverResult: a 2025-era server that answers every method (e.g. a test harness's catch-all).
      return { decision: legacyDecision('server/discover answered without supportedVersions') };
    }
    const offered = body.supportedVersions.map(String);
    const version = newestCommonModern(offered);
    if (version) {
      return {
        decision: modernDecision(version, `server/discover lists ${offered.join(', ')}`),
        info: discoverInfo(body, version),
      };
    }
    if (offered.some((v) => legacy.includes(v))) {
      return { decision: legacyDecision(`server/discover lists only 2025-era revisions (${offered.join(', ')})`) };
    }
    throw unsupported(offered, legacy);
  }
  if (answer && 'error' in answer) {
    const { code, message, data } = answer.error;
    if (code === UNSUPPORTED_PROTOCOL_VERSION) {
      const offered = Array.isArray((data as { supported?: unknown })?.supported)
        ? (data as { supported: unknown[] }).supported.map(String)
        : [];
      // A modern server that does not speak our modern revision: fall back only to what it offers of ours.
      if (offered.some((v) => legacy.includes(v))) {
        return {
          decision: legacyDecision(`server/discover refused ${MODERN_VERSIONS[0]}; it offers ${offered.join(', ')}`),
        };
      }
      throw unsupported(offered, legacy);
    }
    if (MODERN_ERROR_CODES.has(code)) {
      // A modern server that refused how we asked: nothing to fall back to, and asking again the same way repeats it.
      throw protocolError(
        `${what}: the server refused the request (JSON-RPC error ${code}: ${message.slice(0, 200)})`,
        false,
      );
    }
    if (code === ErrorCode.MethodNotFound) {
      return { decision: legacyDecision(`server/discover answered ${status} Method not found`) };
    }
  }
  if (status === 401 || status === 403 || isRetryableStatus(status)) {
    throw httpError(
      status,
      `POST ${what}`,
      answer && 'error' in answer ? answer.error.message.slice(0, 200) : undefined,
    );
  }
  if (status >= 400) {
    const detail = answer && 'error' in answer ? ` (JSON-RPC error ${answer.error.code})` : '';
    return { decision: legacyDecision(`server/discover answered HTTP ${status}${detail}, no modern error`) };
  }
  if (answer && 'error' in answer) {
    return { decision: legacyDecision(`server/discover answered a 2025-era error (${answer.error.code})`) };
  }
  throw protocolError(`${what}: ${result.ended ?? 'no answer'}`);
}

/** The modern revision we speak that an UnsupportedProtocolVersion answer lists, if any. */
function retryVersion(result: ExchangeResult): string | undefined {
  const error = result.answer && 'error' in result.answer ? result.answer.error : undefined;
  if (error?.code !== UNSUPPORTED_PROTOCOL_VERSION) return undefined;
  const supported = (error.data as { supported?: unknown } | undefined)?.supported;
  return Array.isArray(supported) ? newestCommonModern(supported.map(String)) : undefined;
}

/**
 * Send `server/discover` at our newest modern revision and classify the answer. A server that refuses the revision
 * (UnsupportedProtocolVersion) but lists one we speak is asked once more at that one, as the spec's version
 * negotiation says a client retries; a second refusal decides.
 */
export async function probeEra(
  target: ExchangeTarget,
  envelope: Omit<Envelope, 'protocolVersion'>,
  legacy: readonly string[],
  signal: AbortSignal,
): Promise<Classification> {
  const ask = (version: string, id: number) =>
    exchange(
      target,
      {
        jsonrpc: '2.0' as const,
        id,
        method: 'server/discover',
        params: withEnvelope(undefined, { ...envelope, protocolVersion: version }),
      },
      version,
      signal,
    );
  const first = await ask(MODERN_VERSIONS[0] ?? '2026-07-28', 0);
  const again = retryVersion(first);
  return classifyDiscover(again ? await ask(again, 1) : first, legacy);
}
