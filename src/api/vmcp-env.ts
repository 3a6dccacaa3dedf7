// Environment variable names for the secrets a gateway needs in static mode. The ConfigMap names these variables;
// the Deployment fills them from Secrets with secretKeyRef, so no secret value is ever written into a ConfigMap
// (THV-0067, "Header secret handling in static mode"). Names are derived from what they hold (header and endpoint,
// or the auth config), so they are stable across reconciles; when two different sources would normalise to the same
// name, each gets a short hash of its own identity appended, so neither silently receives the other's value.
import { createHash } from 'node:crypto';

/** `X-API-Key` -> `X_API_KEY`: upper case, anything outside [A-Z0-9] becomes `_`. */
export function normalizeForEnvVar(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** THV-0067's name for a header read from a Secret: TOOLHIVE_SECRET_HEADER_FORWARD_<HEADER>_<ENDPOINT>. */
export function headerSecretEnvVar(endpointName: string, headerName: string): string {
  return `TOOLHIVE_SECRET_HEADER_FORWARD_${normalizeForEnvVar(headerName)}_${normalizeForEnvVar(endpointName)}`;
}

/** ToolHive's names for outgoing-auth secrets, per MCPExternalAuthConfig (shared by every endpoint that uses it). */
export function authSecretEnvVar(kind: 'headerInjection' | 'tokenExchange', authConfigName: string): string {
  const prefix =
    kind === 'headerInjection' ? 'TOOLHIVE_HEADER_INJECTION_VALUE_' : 'TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_';
  return `${prefix}${normalizeForEnvVar(authConfigName)}`;
}

export interface EnvNameRequest {
  /** What the variable holds, uniquely (e.g. `header:<endpoint>:<header>`); equal ids share one variable. */
  id: string;
  /** The preferred name. */
  base: string;
}

/**
 * Final names for a set of requests: the base name, unless another id wants the same base, in which case every
 * contender gets `_<8 hex of sha256(id)>`. Deterministic for a given set, independent of order.
 */
export function assignEnvNames(requests: readonly EnvNameRequest[]): Map<string, string> {
  const idsByBase = new Map<string, Set<string>>();
  for (const r of requests) {
    const ids = idsByBase.get(r.base) ?? new Set<string>();
    ids.add(r.id);
    idsByBase.set(r.base, ids);
  }
  const out = new Map<string, string>();
  for (const r of requests) {
    const contended = (idsByBase.get(r.base)?.size ?? 0) > 1;
    out.set(r.id, contended ? `${r.base}_${hash8(r.id).toUpperCase()}` : r.base);
  }
  return out;
}

function hash8(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}
