// From a backend's config entry to what is needed to call it: headers (plaintext, from environment variables, from the
// outgoing auth) and TLS trust. Anything that cannot be set up exactly as configured leaves the backend out with a
// reason a person can act on; a backend is never called with fewer credentials or weaker trust than configured.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BackendConfig } from '../../api/gateway-config.ts';
import type { BackendInfo } from './backend.ts';

export interface BackendSetup {
  info: BackendInfo;
  transport: BackendConfig['transport'];
  /** Computed per request, so values read from the environment are never copied into long-lived options. */
  headers: () => Record<string, string>;
  caPem: string | undefined;
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

  if (cfg.auth.type === 'tokenExchange') {
    return fail(
      'outgoing auth "tokenExchange" needs per-client backend sessions, which this gateway build does not provide yet; ' +
        'the backend is left out rather than called without the exchanged token',
    );
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
