// `tokenExchange` per RFC 8693: the subject token is the validated incoming client token; the STS returns a token for
// the backend. Beyond ToolHive (which exchanges on every request and never checks the result): the returned token's
// audience is checked against the configured one and a mismatch is refused (RFC "Post-exchange audience validation
// MUST be implemented"), and tokens are cached per subject until shortly before they expire, with concurrent requests
// for one subject sharing one exchange. Time from the injected clock. Tokens never reach a log line: subjects are
// logged by fingerprint only, and what the STS says about a refused request is redacted of the subject token, the
// client secret and every token obtained (all registered with the exchange's redactor as they are sent or received).
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { checkHttpUrl } from '../../../api/http-url.ts';
import { authError, configError, isRetryableStatus, networkError } from '../errors.ts';
import { validateHeaderName } from '../headers.ts';
import { readCappedText } from '../http/body.ts';
import type { HttpClient } from '../http/http-client.ts';
import { fingerprint, safeUrl } from '../log.ts';
import { createSecretRedactor, type SecretRedactor } from '../redactor.ts';
import type { OutgoingAuth, SecretValue } from './types.ts';

export interface TokenExchangeConfig {
  tokenUrl: string;
  clientId?: string;
  clientSecret?: SecretValue;
  /** Required: the backend's expected audience; the exchanged token must carry it. */
  audience: string;
  scopes?: string[];
  resource?: string;
  /** `access_token` | `id_token` | `jwt`, or a full token-type URN. Default access_token. */
  subjectTokenType?: string;
  /** Send the token in this header as is, instead of `Authorization: Bearer`. */
  externalTokenHeaderName?: string;
  /** Refresh this long before expiry (default 60 s). */
  refreshSkewMs?: number;
  /** Lifetime assumed when the STS gives neither `expires_in` nor a JWT `exp` (default 5 min). */
  defaultLifetimeMs?: number;
  maxCachedSubjects?: number;
  /**
   * `required` (default): refuse tokens whose audience cannot be read (opaque tokens). `whenReadable`: check JWTs,
   * accept opaque tokens (for STSs that issue reference tokens; weaker, say so in the config).
   */
  audienceCheck?: 'required' | 'whenReadable';
}

export interface TokenExchangeDeps {
  http: HttpClient;
  clock: { now(): number };
  log: Logger;
  /** Knows every value sent to and obtained from the STS (default: a new one, feeding the process-wide set). */
  redactor?: SecretRedactor;
}

export interface TokenExchanger {
  /** Outgoing auth for requests made on behalf of the client who presented `subjectToken`. */
  forSubject(subjectToken: string): OutgoingAuth;
  /** The exchanged token for a subject (cached). */
  exchange(subjectToken: string, signal?: AbortSignal): Promise<string>;
  readonly cachedSubjects: number;
}

const TOKEN_TYPES: Record<string, string> = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
};

interface Cached {
  token: string;
  refreshAt: number;
}

export function createTokenExchange(config: TokenExchangeConfig, deps: TokenExchangeDeps): TokenExchanger {
  const url = parseTokenUrl(config.tokenUrl);
  if (!config.audience) throw configError('tokenExchange: audience is required');
  const subjectTokenType = TOKEN_TYPES[config.subjectTokenType ?? 'access_token'] ?? config.subjectTokenType ?? '';
  if (!subjectTokenType.startsWith('urn:')) {
    throw configError(
      `tokenExchange: subjectTokenType must be access_token, id_token, jwt or a token-type URN, got ${JSON.stringify(config.subjectTokenType)}`,
    );
  }
  const headerName = config.externalTokenHeaderName
    ? validateHeaderName(config.externalTokenHeaderName, 'tokenExchange.externalTokenHeaderName')
    : undefined;
  const skew = config.refreshSkewMs ?? 60_000;
  const maxSubjects = config.maxCachedSubjects ?? 10_000;
  const cache = new Map<string, Cached>();
  const inFlight = new Map<string, Promise<string>>();
  // Room for the cached subjects' tokens and their subject tokens.
  const redactor = deps.redactor ?? createSecretRedactor({ maxValues: 2 * maxSubjects + 16 });

  async function exchange(subjectToken: string, signal?: AbortSignal): Promise<string> {
    if (!subjectToken) throw authError('tokenExchange: no client token to exchange (the request is anonymous)', false);
    const key = fingerprint(subjectToken);
    const hit = cache.get(key);
    if (hit && deps.clock.now() < hit.refreshAt) return hit.token;
    const running = inFlight.get(key);
    if (running) return running;
    const p = requestToken(subjectToken, key, signal).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  }

  async function requestToken(subjectToken: string, key: string, signal?: AbortSignal): Promise<string> {
    redactor.add(subjectToken);
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subjectToken,
      subject_token_type: subjectTokenType,
      requested_token_type: TOKEN_TYPES.access_token as string,
      audience: config.audience,
    });
    if (config.scopes?.length) form.set('scope', config.scopes.join(' '));
    if (config.resource) form.set('resource', config.resource);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (config.clientId && config.clientSecret) {
      // RFC 6749 §2.3.1: form-encode id and secret, then Basic.
      const secret = await config.clientSecret();
      const pair = `${encodeURIComponent(config.clientId)}:${encodeURIComponent(secret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
      redactor.add(secret);
      redactor.addHeaderValue(headers.authorization);
    } else if (config.clientId) {
      form.set('client_id', config.clientId);
    }
    const where = `token exchange at ${safeUrl(url)}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await deps.http.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        body: form.toString(),
        signal,
      });
    } catch (err) {
      throw authError(`${where} failed: ${networkError(err, 'POST').message}`, true);
    }
    const text = await readCappedText(res.body, 256 * 1024, where).catch((err: unknown) => {
      throw authError(`${where} failed: ${err instanceof Error ? err.message : String(err)}`, true);
    });
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Reported below with the status.
    }
    if (res.statusCode !== 200) {
      // error and error_description are the STS's words about the request, redacted of what we sent it (an STS may
      // repeat the subject token or the client secret); nothing else from the body is repeated.
      const code = typeof body.error === 'string' ? ` ${redactor.redact(body.error).slice(0, 64)}` : '';
      const description =
        typeof body.error_description === 'string' ? `: ${redactor.redact(body.error_description).slice(0, 200)}` : '';
      throw authError(
        `${where} failed: HTTP ${res.statusCode}${code}${description}`,
        isRetryableStatus(res.statusCode),
      );
    }
    const token = body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw authError(`${where} returned no access_token`, false);
    }
    redactor.add(token);
    const tokenType = typeof body.token_type === 'string' ? body.token_type.toLowerCase() : undefined;
    if (tokenType !== undefined && tokenType !== 'bearer' && tokenType !== 'n_a') {
      throw authError(
        `${where} returned token_type ${JSON.stringify(body.token_type)}; only Bearer is supported`,
        false,
      );
    }
    const claims = jwtClaims(token);
    checkAudience(claims, where);
    const now = deps.clock.now();
    const lifetimeMs =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in * 1000
        : typeof claims?.exp === 'number'
          ? claims.exp * 1000 - now
          : (config.defaultLifetimeMs ?? 300_000);
    // Refresh `skew` early, but never cache for less than half the lifetime (short-lived tokens still get reused).
    const refreshAt = now + Math.max(lifetimeMs - skew, lifetimeMs / 2);
    store(key, { token, refreshAt });
    deps.log.debug({ subject: key, lifetimeMs: Math.round(lifetimeMs) }, 'token exchanged');
    return token;
  }

  function checkAudience(claims: Record<string, unknown> | undefined, where: string): void {
    if (!claims) {
      if ((config.audienceCheck ?? 'required') === 'whenReadable') return;
      throw authError(
        `${where} returned an opaque token whose audience cannot be checked against "${config.audience}"; refusing it (set audienceCheck: whenReadable to accept opaque tokens)`,
        false,
      );
    }
    const aud = claims.aud;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.map(String) : [];
    if (!audiences.includes(config.audience)) {
      throw authError(
        `${where} returned a token for audience ${JSON.stringify(audiences)}, not the configured "${config.audience}"; refusing it`,
        false,
      );
    }
  }

  function store(key: string, entry: Cached): void {
    cache.delete(key);
    cache.set(key, entry);
    if (cache.size <= maxSubjects) return;
    const now = deps.clock.now();
    for (const [k, v] of cache) if (v.refreshAt <= now) cache.delete(k);
    // Still too many: drop the least recently stored.
    for (const k of cache.keys()) {
      if (cache.size <= maxSubjects) break;
      cache.delete(k);
    }
  }

  return {
    exchange,
    forSubject(subjectToken: string): OutgoingAuth {
      return {
        method: 'tokenExchange',
        headers: async (signal) => {
          const token = await exchange(subjectToken, signal);
          return headerName ? { [headerName]: token } : { authorization: `Bearer ${token}` };
        },
      };
    },
    get cachedSubjects() {
      return cache.size;
    },
  };
}

function parseTokenUrl(raw: string): URL {
  const result = checkHttpUrl(raw);
  if (!result.ok) throw configError(`tokenExchange: tokenUrl ${result.problem}`);
  return result.url;
}

/** The payload of a JWT (no signature check: the token came from our STS over TLS; we only read its audience). */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
