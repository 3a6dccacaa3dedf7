// What the MCP effects may log and how. Nothing secret is passed to a logger in the first place (no header values,
// tokens or bodies); the pino redaction list below is the second line of defence for loggers the runtime builds.
import { createHash } from 'node:crypto';

/** pino `redact.paths` for every logger that carries MCP effect logs. */
export const MCP_LOG_REDACT_PATHS: string[] = [
  'authorization',
  '*.authorization',
  'headers',
  '*.headers',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'subjectToken',
  '*.subjectToken',
  'subject_token',
  '*.subject_token',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'cookie',
  '*.cookie',
];

/** A short stable fingerprint for correlating a secret-ish value (session id, subject token) in logs. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

/** A URL for logs and errors: origin and path, without credentials or query (which may hold keys). */
export function safeUrl(url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${u.origin}${u.pathname}`;
}
