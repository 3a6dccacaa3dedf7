// Cedar authorization of client requests (the proxy pod's `authzConfig`), with the official Cedar WASM bindings.
// The request shape follows ToolHive's, so its users' policies carry over: principal `Client::"<sub>"`, actions
// `Action::"call_tool" | "get_prompt" | "read_resource"`, resources `Tool::"<name>" | Prompt::"<name>" |
// Resource::"<uri>"`, and a context with the token's claims as `claim_<name>` and the call's arguments as
// `arg_<name>` (primitive values only). Lists show only what the caller may use. No policy, no access: Cedar denies
// by default.
import { type CedarValueJson, checkParsePolicySet, type Entities, isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthzConfig } from '../api/gateway/config.ts';

export type AuthzAction = 'call_tool' | 'get_prompt' | 'read_resource';

const resourceType: Record<AuthzAction, string> = {
  call_tool: 'Tool',
  get_prompt: 'Prompt',
  read_resource: 'Resource',
};

export interface AuthzRequest {
  subject: string;
  claims?: Record<string, unknown>;
  action: AuthzAction;
  /** Tool or prompt name as the client sees it, or the resource URI. */
  resource: string;
  args?: Record<string, unknown>;
}

export interface Authorizer {
  allowed(request: AuthzRequest): boolean;
}

export class AuthzConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthzConfigError';
  }
}

/** Parses the policies and entities now, so a broken policy stops the gateway at startup, not at the first call. */
export function createCedarAuthorizer(config: AuthzConfig): Authorizer {
  const policies = config.policies.join('\n');
  const parsed = checkParsePolicySet({ staticPolicies: policies });
  if (parsed.type === 'failure') {
    throw new AuthzConfigError(`the Cedar policies do not parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
  }
  let entities: Entities;
  try {
    entities = JSON.parse(config.entitiesJson) as Entities;
    if (!Array.isArray(entities)) throw new Error('not a JSON array');
  } catch (err) {
    throw new AuthzConfigError(
      `the Cedar entities are not a JSON array: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return {
    allowed: (request) => {
      const answer = isAuthorized({
        principal: { type: 'Client', id: request.subject },
        action: { type: 'Action', id: request.action },
        resource: { type: resourceType[request.action], id: request.resource },
        context: { ...primitives('claim_', request.claims), ...primitives('arg_', request.args) },
        policies: { staticPolicies: policies },
        entities,
      });
      // An evaluation failure denies: authorization fails closed.
      return answer.type === 'success' && answer.response.decision === 'allow';
    },
  };
}

/** Strings, booleans and integers only: Cedar has no floats, and nested values would make policies brittle. */
function primitives(prefix: string, values: Record<string, unknown> | undefined): Record<string, CedarValueJson> {
  const out: Record<string, CedarValueJson> = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    if (typeof value === 'string' || typeof value === 'boolean') out[`${prefix}${key}`] = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) out[`${prefix}${key}`] = value;
  }
  return out;
}
