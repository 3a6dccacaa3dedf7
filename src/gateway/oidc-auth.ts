// `incomingAuth.type: oidc`: a bearer JWT checked against the issuer, the audience and the issuer's signing keys (JWKS,
// fetched and cached by jose). Loaded only by a gateway configured so (incoming-auth.ts): jose and undici's fetch stay
// out of every other gateway's memory.
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import type { IncomingAuthConfig } from '../api/gateway/config.ts';
import type { Authenticator } from './incoming-auth.ts';

type OidcConfig = Extract<IncomingAuthConfig, { type: 'oidc' }>;

export function oidcAuthenticator(config: OidcConfig, opts: { fetchTimeoutMs?: number } = {}): Authenticator {
  const issuerFetch = issuerFetcher(config);
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  let jwksLoading: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keys = async () => {
    if (jwks) return jwks;
    jwksLoading ??= (async () => {
      const url = config.jwksUrl ?? (await discoverJwksUri(config.issuer, opts.fetchTimeoutMs ?? 10_000, issuerFetch));
      jwks = createRemoteJWKSet(new URL(url), {
        timeoutDuration: opts.fetchTimeoutMs ?? 10_000,
        [customFetch]: (input, init) => issuerFetch(input, init),
      });
      return jwks;
    })().finally(() => {
      jwksLoading = undefined;
    });
    return jwksLoading;
  };

  return async (req) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header) : null;
    if (!match) return { ok: false, status: 401, error: 'invalid_request', description: 'a Bearer token is required' };
    const token = match[1]!;
    let keySet: ReturnType<typeof createRemoteJWKSet>;
    try {
      keySet = await keys();
    } catch (err) {
      return {
        ok: false,
        status: 503,
        error: 'temporarily_unavailable',
        description: `cannot load the issuer's signing keys: ${message(err)}`,
      };
    }
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: config.clockToleranceSeconds,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        return { ok: false, status: 401, error: 'invalid_token', description: 'the token has no subject (sub)' };
      }
      if (config.allowedSubjects?.length && !config.allowedSubjects.includes(payload.sub)) {
        return {
          ok: false,
          status: 401,
          error: 'invalid_token',
          description: `subject ${payload.sub} is not allowed here`,
        };
      }
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      const clientId =
        typeof payload.azp === 'string'
          ? payload.azp
          : typeof payload.client_id === 'string'
            ? payload.client_id
            : payload.sub;
      return {
        ok: true,
        subject: payload.sub,
        auth: { token, clientId, scopes, expiresAt: payload.exp, extra: { subject: payload.sub, claims: payload } },
      };
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JOSENotSupported) {
        return { ok: false, status: 503, error: 'temporarily_unavailable', description: message(err) };
      }
      return { ok: false, status: 401, error: 'invalid_token', description: describeJoseError(err) };
    }
  };
}

type IssuerFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Requests to the issuer (discovery, JWKS), with the configured CA bundle and a bearer token read from a file on every
 * request (projected service account tokens rotate), as Kubernetes' own issuer requires by default.
 */
function issuerFetcher(config: OidcConfig): IssuerFetch {
  const agent = config.caBundlePath
    ? new Agent({ connect: { ca: readFileSync(config.caBundlePath, 'utf8'), minVersion: 'TLSv1.2' } })
    : undefined;
  return async (url, init) => {
    const headers = new Headers(init.headers);
    if (config.jwksAuthTokenPath)
      headers.set('authorization', `Bearer ${readFileSync(config.jwksAuthTokenPath, 'utf8').trim()}`);
    const request = { ...init, headers, ...(agent ? { dispatcher: agent } : {}) };
    return (await undiciFetch(url, request as never)) as unknown as Response;
  };
}

async function discoverJwksUri(issuer: string, timeoutMs: number, fetcher: IssuerFetch): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown; issuer?: unknown };
  if (doc.issuer !== issuer)
    throw new Error(`${url} names issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(issuer)}`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
  return doc.jwks_uri;
}

/** jose's messages are precise ("\"aud\" claim check failed") and contain no token material. */
function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim check failed: ${err.claim} (${err.reason})`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "no key of the issuer's JWKS matches the token";
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  return message(err);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
