// From a backend's config entry to what is needed to call it: the secret values it names (mounted files or
// environment variables) read and handed to the one outgoing-auth builder (actors/mcp/auth/outgoing-auth.ts), and TLS
// trust. Anything that cannot be set up exactly as configured leaves the backend out with a reason a person can act
// on; a backend is never called with fewer credentials or weaker trust than configured. Secret values are read when
// the entry is resolved; the gateway resolves static entries again when a secret file changes (runtime/watch-files.ts),
// and the fingerprint tells the BackendSet which backends need a new session.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  buildOutgoingAuth,
  type HeaderSpec,
  type OutgoingAuthSetup,
  type TokenExchangeSpec,
} from '../actors/mcp/auth/outgoing-auth.ts';
import type { OutgoingAuth } from '../actors/mcp/auth/types.ts';
import { checkPemCertificates } from '../api/endpoint/ca-bundle.ts';
import type { BackendConfig } from '../api/gateway/config.ts';
import { readText } from '../runtime/read-text.ts';
import type { BackendInfo } from './backend.ts';
import type { DesiredBackend } from './backend-set.ts';

export interface BackendSetup {
  info: BackendInfo;
  transport: BackendConfig['transport'];
  /** What every session of this backend sends (the one outgoing-auth builder's result). */
  outgoing: OutgoingAuthSetup;
  caPem: string | undefined;
  /** The credentials of one client's session of a per-client (tokenExchange) backend, added to the fixed headers. */
  clientAuth?: OutgoingAuth;
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
function readSecret(source: SecretSource, environment: SetupEnvironment): SecretRead {
  if ('file' in source) {
    const where = `file ${source.file}`;
    const value = readText(environment.readFile, source.file, 'file');
    if (typeof value !== 'string') return { ok: false, ...value };
    return value === '' ? { ok: false, problem: `${where} is empty` } : { ok: true, value };
  }
  const value = environment.env[source.env];
  if (value === undefined || value === '')
    return { ok: false, problem: `environment variable ${source.env} is not set` };
  return { ok: true, value };
}

function sourceName(source: SecretSource): string {
  return 'file' in source ? `file ${source.file}` : `environment variable ${source.env}`;
}

function resolveBackend(
  cfg: BackendConfig,
  environment: SetupEnvironment,
): { result: SetupResult; read: string | null } {
  const fail = (reason: string) => ({ result: { ok: false as const, name: cfg.name, reason }, read: null });

  // Every secret value is read now, so a missing one is reported when the entry is resolved, not on a call.
  const headers: HeaderSpec[] = Object.entries(cfg.headers).map(([name, value]) => ({
    name,
    value,
    source: 'headers',
  }));
  const sources: Array<[string, SecretSource]> = [
    ...Object.entries(cfg.headerFiles).map(([h, file]): [string, SecretSource] => [h, { file }]),
    ...Object.entries(cfg.headerEnvVars).map(([h, env]): [string, SecretSource] => [h, { env }]),
  ];
  for (const [name, source] of sources) {
    const read = readSecret(source, environment);
    if (!read.ok) return fail(`header ${name}: ${read.problem}`);
    headers.push({ name, value: read.value, source: sourceName(source) });
  }

  const auth = cfg.auth;
  let built: ReturnType<typeof buildOutgoingAuth>;
  if (auth.type === 'headerInjection') {
    const source: SecretSource = auth.valueFile ? { file: auth.valueFile } : { env: auth.valueEnv ?? '' };
    const read = readSecret(source, environment);
    if (!read.ok) return fail(`auth headerInjection: ${read.problem}`);
    const header = { name: auth.headerName, value: read.value, source: `auth headerInjection (${sourceName(source)})` };
    built = buildOutgoingAuth({ headers, auth: { type: 'headerInjection', header } });
  } else if (auth.type === 'tokenExchange') {
    const { type: _type, clientSecretEnv, clientSecretFile, maxClientSessions, idleSessionSeconds, ...rest } = auth;
    const exchange: TokenExchangeSpec = rest;
    const source = clientSecretFile ? { file: clientSecretFile } : clientSecretEnv ? { env: clientSecretEnv } : null;
    if (source) {
      const read = readSecret(source, environment);
      if (!read.ok) return fail(`auth tokenExchange: ${read.problem} (client secret)`);
      exchange.clientSecret = read.value;
    }
    built = buildOutgoingAuth({
      headers,
      auth: {
        type: 'tokenExchange',
        exchange,
        source: 'auth tokenExchange',
        ...(maxClientSessions !== undefined ? { maxSessions: maxClientSessions } : {}),
        ...(idleSessionSeconds !== undefined ? { idleMs: idleSessionSeconds * 1000 } : {}),
      },
    });
  } else {
    built = buildOutgoingAuth({ headers, auth: { type: 'unauthenticated' } });
  }
  if (!built.ok) return fail(built.problem);

  let caPem: string | undefined;
  if (cfg.caBundlePath) {
    const text = readText(environment.readFile, cfg.caBundlePath, 'CA bundle');
    if (typeof text !== 'string') return fail(text.problem);
    const check = checkPemCertificates(text, `CA bundle ${cfg.caBundlePath}`);
    if (!check.ok) return fail(check.message);
    caPem = text;
  }

  // A digest of everything read (never the values): what the fingerprint compares.
  const read = createHash('sha256')
    .update(`${built.setup.digest}\0${caPem ?? ''}`)
    .digest('hex');
  return {
    result: {
      ok: true,
      setup: {
        info: { name: cfg.name, url: cfg.url, type: cfg.type, authMethod: cfg.auth.type },
        transport: cfg.transport,
        caPem,
        outgoing: built.setup,
      },
    },
    read,
  };
}
