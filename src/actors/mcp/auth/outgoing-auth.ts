// The one outgoing-auth builder: what a backend session sends to its backend, from an auth spec whose secret values
// have already been read (from mounted files or environment variables for a config file and proxy mode, from Secret
// objects for discovery, from the command line for `mcpre probe`). Every header is checked against the one header
// policy (src/api/header-policy.ts) here, so a bad one leaves the backend out with a reason instead of failing calls,
// and again by the session as it is sent. A header set twice, including one that collides with the header carrying
// an exchanged token, is refused rather than one silently winning. Problems name headers and where they came from,
// never a value.
import { createHash } from 'node:crypto';
import { headerNameProblem, headerValueProblem } from '../../../api/header-policy.ts';
import { httpUrlProblem } from '../../../api/http-url.ts';
import type { TokenExchangeConfig } from './token-exchange.ts';
import type { OutgoingAuth, OutgoingAuthMethod } from './types.ts';

/** One header with its value, and where it was configured (for problems: `headerFiles`, `Secret creds`, ...). */
export interface HeaderSpec {
  name: string;
  value: string;
  source: string;
}

/** tokenExchange settings with the client secret's value (already read). */
export type TokenExchangeSpec = Omit<TokenExchangeConfig, 'clientSecret'> & { clientSecret?: string };

export type AuthMethodSpec =
  | { type: 'unauthenticated' }
  | { type: 'headerInjection'; header: HeaderSpec }
  | {
      type: 'tokenExchange';
      exchange: TokenExchangeSpec;
      /** Where it was configured, to begin its problems (default `tokenExchange`). */
      source?: string;
      /** Most client sessions open at once (default 100). */
      maxSessions?: number;
      /** A client session unused this long is closed (default 600 s). */
      idleMs?: number;
    };

export interface OutgoingAuthSpec {
  /** Headers sent on every request besides the auth method's: plaintext and secret-valued alike. */
  headers: HeaderSpec[];
  auth: AuthMethodSpec;
}

/** A `tokenExchange` backend: one backend session per client identity (src/gateway/per-client-backend.ts). */
export interface PerClientSetup {
  exchange: TokenExchangeConfig;
  /** Most backend sessions open at once; the least recently used is closed first. */
  maxSessions: number;
  /** A session unused this long is closed. */
  idleMs: number;
}

export const DEFAULT_MAX_CLIENT_SESSIONS = 100;
export const DEFAULT_IDLE_SESSION_SECONDS = 600;

export interface OutgoingAuthSetup {
  readonly method: OutgoingAuthMethod;
  /** The headers every request carries (names lower-cased), checked against the header policy. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * A digest of every value used (header values, exchange settings, client secret), never the values: a rotated
   * secret changes it, so the owner knows the backend needs a new session.
   */
  readonly digest: string;
  /** Set for `tokenExchange`: the gateway opens one session per client, each with its own exchanged token. */
  readonly perClient?: PerClientSetup;
  /** What one backend session sends: the fixed headers, plus a client's credentials for a per-client session. */
  forSession(client?: OutgoingAuth): OutgoingAuth;
}

export type OutgoingAuthResult = { ok: true; setup: OutgoingAuthSetup } | { ok: false; problem: string };

export function buildOutgoingAuth(spec: OutgoingAuthSpec): OutgoingAuthResult {
  const headers: Record<string, string> = {};
  const sourceOf = new Map<string, string>();
  const all = spec.auth.type === 'headerInjection' ? [...spec.headers, spec.auth.header] : spec.headers;
  for (const { name, value, source } of all) {
    const problem = headerProblem(name, value, source);
    if (problem) return { ok: false, problem };
    const lower = name.toLowerCase();
    const first = sourceOf.get(lower);
    if (first) return { ok: false, problem: `header ${name} is set twice (${first} and ${source}); set it once` };
    sourceOf.set(lower, source);
    headers[lower] = value;
  }
  const digest = createHash('sha256').update(`method\0${spec.auth.type}\0`);
  for (const [name, value] of Object.entries(headers)) digest.update(`header\0${name}\0${value}\0`);

  let perClient: PerClientSetup | undefined;
  if (spec.auth.type === 'tokenExchange') {
    const built = perClientSetup(spec.auth, sourceOf);
    if (typeof built === 'string') return { ok: false, problem: built };
    perClient = built;
    digest.update(`exchange\0${JSON.stringify(spec.auth.exchange)}\0`);
  }
  return {
    ok: true,
    setup: outgoingAuthSetup(spec.auth.type, headers, digest.digest('hex'), perClient),
  };
}

/** No credentials and no headers (a public remote, or a test's backend). */
export const NO_OUTGOING_AUTH: OutgoingAuthSetup = outgoingAuthSetup('unauthenticated', {}, 'none', undefined);

function outgoingAuthSetup(
  method: OutgoingAuthMethod,
  headers: Record<string, string>,
  digest: string,
  perClient: PerClientSetup | undefined,
): OutgoingAuthSetup {
  const fixed = Object.freeze({ ...headers });
  return {
    method,
    headers: fixed,
    digest,
    ...(perClient ? { perClient } : {}),
    forSession(client) {
      if (!client) return { method, headers: async () => ({ ...fixed }) };
      return { method: client.method, headers: async (signal) => ({ ...fixed, ...(await client.headers(signal)) }) };
    },
  };
}

function headerProblem(name: string, value: string, source: string): string | undefined {
  const nameProblem = headerNameProblem(name);
  if (nameProblem) return `header ${JSON.stringify(String(name).slice(0, 64))} (${source}) ${nameProblem.message}`;
  const valueProblem = headerValueProblem(value);
  if (valueProblem) return `header ${name}: the value from ${source} ${valueProblem}`;
  return undefined;
}

/** The exchange's settings checked now, so a bad one leaves the backend out instead of failing every client. */
function perClientSetup(
  auth: Extract<AuthMethodSpec, { type: 'tokenExchange' }>,
  fixed: ReadonlyMap<string, string>,
): PerClientSetup | string {
  const { clientSecret, ...exchange } = auth.exchange;
  const source = auth.source ?? 'tokenExchange';
  const urlProblem = httpUrlProblem(String(exchange.tokenUrl ?? ''));
  if (urlProblem) return `${source}.tokenUrl ${urlProblem}`;
  if (!exchange.audience) return `${source}.audience is required`;
  const tokenHeader = exchange.externalTokenHeaderName || 'Authorization';
  if (exchange.externalTokenHeaderName) {
    const problem = headerNameProblem(exchange.externalTokenHeaderName);
    if (problem)
      return `${source}.externalTokenHeaderName ${JSON.stringify(tokenHeader.slice(0, 64))} ${problem.message}`;
  }
  const clash = fixed.get(tokenHeader.toLowerCase());
  if (clash)
    return `${source}: the exchanged token goes in header ${tokenHeader}, which ${clash} also sets; set it once`;
  return {
    exchange: { ...exchange, ...(clientSecret !== undefined ? { clientSecret: () => clientSecret } : {}) },
    maxSessions: auth.maxSessions ?? DEFAULT_MAX_CLIENT_SESSIONS,
    idleMs: auth.idleMs ?? DEFAULT_IDLE_SESSION_SECONDS * 1000,
  };
}
