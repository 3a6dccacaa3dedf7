// From a backend's config entry to what is needed to call it: headers (plaintext, from secret files or environment
// variables, from the outgoing auth) and TLS trust. Anything that cannot be set up exactly as configured leaves the
// backend out with a reason a person can act on; a backend is never called with fewer credentials or weaker trust
// than configured. Secret values are read when the entry is resolved; the gateway resolves static entries again when
// a secret file changes (secret-file-watch.ts), and the fingerprint tells the BackendSet which backends need a new
// session.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenExchangeConfig } from '../actors/mcp/auth/token-exchange.ts';
import type { OutgoingAuth } from '../actors/mcp/auth/types.ts';
import type { BackendConfig } from '../api/gateway/config.ts';
import type { BackendInfo } from './backend.ts';
import type { DesiredBackend } from './backend-set.ts';

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
  /** The headers every request carries; secret values as read when the entry was resolved. */
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
  return resolveBackend(cfg, environment).result;
}

/**
 * A static config entry as the BackendSet wants it. The fingerprint covers the entry and a digest of every secret
 * value and CA bundle it read (never the values themselves), so a rotated secret file gives the backend a new
 * session while an unchanged backend keeps its own.
 */
export function staticBackend(cfg: BackendConfig, environment: SetupEnvironment = processEnvironment): DesiredBackend {
  const { result, read } = resolveBackend(cfg, environment);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ config: cfg, read, excluded: result.ok ? null : result.reason }))
    .digest('hex');
  return { name: cfg.name, type: cfg.type, result, fingerprint };
}

/** The files an entry reads secret values from: what the gateway watches for rotation. */
export function secretFilesOf(cfg: BackendConfig): string[] {
  const files = Object.values(cfg.headerFiles);
  if (cfg.auth.type === 'headerInjection' && cfg.auth.valueFile) files.push(cfg.auth.valueFile);
  if (cfg.auth.type === 'tokenExchange' && cfg.auth.clientSecretFile) files.push(cfg.auth.clientSecretFile);
  return files;
}

type SecretSource = { file: string } | { env: string };
type SecretRead = { ok: true; value: string } | { ok: false; problem: string };

/** One secret value; the problem names its source, never its value. */
function readSecret(source: SecretSource, environment: SetupEnvironment, headerValue: boolean): SecretRead {
  let value: string | undefined;
  let where: string;
  if ('file' in source) {
    where = `file ${source.file}`;
    try {
      value = environment.readFile(source.file);
    } catch (err) {
      return { ok: false, problem: `${where} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
    }
    if (value === '') return { ok: false, problem: `${where} is empty` };
  } else {
    where = `environment variable ${source.env}`;
    value = environment.env[source.env];
    if (value === undefined || value === '') return { ok: false, problem: `${where} is not set` };
  }
  if (headerValue && /[\r\n\0]/.test(value)) return { ok: false, problem: `${where} contains CR, LF or NUL` };
  return { ok: true, value };
}

function resolveBackend(
  cfg: BackendConfig,
  environment: SetupEnvironment,
): { result: SetupResult; read: string | null } {
  const fail = (reason: string) => ({ result: { ok: false as const, name: cfg.name, reason }, read: null });
  // A digest of everything read, in a fixed order: what the fingerprint compares.
  const digest = createHash('sha256');
  const note = (label: string, value: string) => digest.update(`${label}\0${value}\0`);

  let perClient: PerClientSetup | undefined;
  if (cfg.auth.type === 'tokenExchange') {
    const { clientSecretEnv, clientSecretFile, maxClientSessions, idleSessionSeconds, ...exchange } = cfg.auth;
    let clientSecret: (() => string) | undefined;
    const source = clientSecretFile ? { file: clientSecretFile } : clientSecretEnv ? { env: clientSecretEnv } : null;
    if (source) {
      const read = readSecret(source, environment, false);
      if (!read.ok) return fail(`auth tokenExchange: ${read.problem} (client secret)`);
      note('clientSecret', read.value);
      const value = read.value;
      clientSecret = () => value;
    }
    perClient = {
      exchange: { ...exchange, ...(clientSecret ? { clientSecret } : {}) },
      maxSessions: maxClientSessions ?? DEFAULT_MAX_CLIENT_SESSIONS,
      idleMs: (idleSessionSeconds ?? DEFAULT_IDLE_SESSION_SECONDS) * 1000,
    };
  }

  // Every secret value is resolved now, so a missing one is reported when the entry is resolved, not on a call.
  const secretHeaders: Array<[string, string]> = [];
  const sources: Array<[string, SecretSource]> = [
    ...Object.entries(cfg.headerFiles).map(([h, file]): [string, SecretSource] => [h, { file }]),
    ...Object.entries(cfg.headerEnvVars).map(([h, env]): [string, SecretSource] => [h, { env }]),
  ];
  for (const [header, source] of sources) {
    const read = readSecret(source, environment, true);
    if (!read.ok) return fail(`header ${header}: ${read.problem}`);
    secretHeaders.push([header, read.value]);
  }
  if (cfg.auth.type === 'headerInjection') {
    const { headerName, valueFile, valueEnv } = cfg.auth;
    const read = readSecret(valueFile ? { file: valueFile } : { env: valueEnv ?? '' }, environment, true);
    if (!read.ok) return fail(`auth headerInjection: ${read.problem}`);
    secretHeaders.push([headerName, read.value]);
  }
  for (const [header, value] of secretHeaders) note(`header:${header}`, value);

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
    note('ca', text);
  }

  const fixed: Record<string, string> = { ...cfg.headers, ...Object.fromEntries(secretHeaders) };
  return {
    result: {
      ok: true,
      setup: {
        info: { name: cfg.name, url: cfg.url, type: cfg.type, authMethod: cfg.auth.type },
        transport: cfg.transport,
        caPem,
        ...(perClient ? { perClient } : {}),
        headers: () => ({ ...fixed }),
      },
    },
    read: digest.digest('hex'),
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
