// From a backend's config entry to what is needed to call it: headers (plaintext, from environment variables, from the
// outgoing auth) and TLS trust. Anything that cannot be set up exactly as configured leaves the backend out with a
// reason a person can act on; a backend is never called with fewer credentials or weaker trust than configured.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenExchangeConfig } from '../../actors/mcp/auth/token-exchange.ts';
import type { OutgoingAuth } from '../../actors/mcp/auth/types.ts';
import type { BackendConfig } from '../../api/gateway-config.ts';
import type { BackendInfo } from './backend.ts';

/** A `tokenExchange` backend: one backend session per client identity (per-client-backend.ts). */
export interface PerClientSetup {
  exchange: TokenExchangeConfig;
  /** Most backend sessions open at once; the least recently used is closed first. */
  maxSessions: number;
  /** A session unused this long is closed. */
  idleMs: number;
}

export const DEFAULT_MAX_CLIENT_SESSIONS = 100;
export const DEFAULT_IDLE_SESSION_SECONDS = 600;

export interface BackendSetup {
  info: BackendInfo;
  transport: BackendConfig['transport'];
  /** Computed per request, so values read from the environment are never copied into long-lived options. */
  headers: () => Record<string, string>;
  caPem: string | undefined;
  /** Set for `tokenExchange` backends: the gateway opens one session per client instead of one shared session. */
  perClient?: PerClientSetup;
  /**
   * The credentials of one client's session of a `perClient` backend, added to `headers()` on every request.
   */
  auth?: OutgoingAuth;
}

export type SetupResult = { ok: true; setup: BackendSetup } | { ok: false; name: string; reason: string };

export interface SetupEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

export const processEnvironment: SetupEnvironment = {
  env: process.env,
  readFile: (path) => readFileSync(path, 'utf8'),
};

export function setUpBackend(cfg: BackendConfig, environment: SetupEnvironment = processEnvironment): SetupResult {
  const fail = (reason: string): SetupResult => ({ ok: false, name: cfg.name, reason });

  let perClient: PerClientSetup | undefined;
  if (cfg.auth.type === 'tokenExchange') {
    const { clientSecretEnv, maxClientSessions, idleSessionSeconds, ...exchange } = cfg.auth;
    let clientSecret: (() => string) | undefined;
    if (clientSecretEnv) {
      const value = environment.env[clientSecretEnv];
      if (value === undefined || value === '')
        return fail(`auth tokenExchange: environment variable ${clientSecretEnv} (client secret) is not set`);
      const env = environment.env;
      clientSecret = () => env[clientSecretEnv] ?? '';
    }
    perClient = {
      exchange: { ...exchange, ...(clientSecret ? { clientSecret } : {}) },
      maxSessions: maxClientSessions ?? DEFAULT_MAX_CLIENT_SESSIONS,
      idleMs: (idleSessionSeconds ?? DEFAULT_IDLE_SESSION_SECONDS) * 1000,
    };
  }

  // Resolve every environment-sourced value now, so a missing one is reported at startup, not on the first call.
  const fromEnv: Array<[string, string]> = [];
  for (const [header, variable] of Object.entries(cfg.headerEnvVars)) {
    const value = environment.env[variable];
    if (value === undefined || value === '')
      return fail(`header ${header}: environment variable ${variable} is not set`);
    if (/[\r\n\0]/.test(value))
      return fail(`header ${header}: environment variable ${variable} contains CR, LF or NUL`);
    fromEnv.push([header, variable]);
  }
  if (cfg.auth.type === 'headerInjection') {
    const { headerName, valueEnv } = cfg.auth;
    const value = environment.env[valueEnv];
    if (value === undefined || value === '')
      return fail(`auth headerInjection: environment variable ${valueEnv} is not set`);
    if (/[\r\n\0]/.test(value))
      return fail(`auth headerInjection: environment variable ${valueEnv} contains CR, LF or NUL`);
    fromEnv.push([headerName, valueEnv]);
  }

  let caPem: string | undefined;
  if (cfg.caBundlePath) {
    let text: string;
    try {
      text = environment.readFile(cfg.caBundlePath);
    } catch (err) {
      return fail(
        `CA bundle ${cfg.caBundlePath} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    const problem = checkPemBundle(text);
    if (problem) return fail(`CA bundle ${cfg.caBundlePath}: ${problem}`);
    caPem = text;
  }

  const plain = { ...cfg.headers };
  const env = environment.env;
  return {
    ok: true,
    setup: {
      info: { name: cfg.name, url: cfg.url, type: cfg.type, authMethod: cfg.auth.type },
      transport: cfg.transport,
      caPem,
      ...(perClient ? { perClient } : {}),
      headers: () => {
        const headers: Record<string, string> = { ...plain };
        for (const [header, variable] of fromEnv) headers[header] = env[variable] ?? '';
        return headers;
      },
    },
  };
}

/** Undefined when the text holds at least one parseable certificate and nothing that looks like a broken one. */
export function checkPemBundle(text: string): string | undefined {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return 'no PEM certificate found (expected -----BEGIN CERTIFICATE----- blocks)';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `certificate ${i + 1} of ${blocks.length} cannot be parsed`;
    }
  }
  return undefined;
}
