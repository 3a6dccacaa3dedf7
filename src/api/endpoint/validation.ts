// The validation half of the endpoint reconciler (RFC THV-0067, "type: direct path" steps 1-4, shared by proxy mode):
// which conditions an endpoint gets, with which reasons and messages. Pure: a snapshot in, conditions out. The
// operator never contacts the remote URL; it only checks that the URL is well formed.

import { ConditionType, type DesiredCondition } from '../conditions.ts';
import { headerNameProblem, headerValueProblem } from '../header-policy.ts';
import { httpUrlProblem } from '../http-url.ts';
import { telemetryProblems, telemetrySecretProblems } from '../telemetry-env.ts';
import { checkCaBundle } from './ca-bundle.ts';
import type { Endpoint, ExternalAuthConfig } from './model.ts';
import type { EndpointSnapshot } from './snapshot.ts';

/** Auth types that need a pod to run in, so they cannot serve a direct endpoint (RFC: "Unsupported types"). */
export const DIRECT_MODE_UNSUPPORTED_AUTH_TYPES: readonly string[] = ['embeddedAuthServer', 'awsSts'];

export interface Failure {
  reason: string;
  message: string;
}

export interface Validation {
  /**
   * GroupRefValid, AuthConfigValid, CABundleValid and ToolConfigValid (each when referenced), ConfigurationValid.
   */
  conditions: DesiredCondition[];
  /** Every failed check, in the order the RFC lists the checks; empty when the endpoint is valid. */
  failures: Failure[];
  valid: boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export function validateEndpoint(snapshot: EndpointSnapshot): Validation {
  const endpoint = snapshot.endpoint;
  if (!endpoint) return { conditions: [], failures: [], valid: false };
  const conditions: DesiredCondition[] = [];
  // Failures of checks without a condition of their own; they surface through ConfigurationValid.
  const own: Failure[] = [];
  // Failures of checks that have their own condition, in the RFC's order.
  const referenced: Failure[] = [];

  const urlFailure = checkRemoteURL(endpoint.spec.remoteURL);
  if (urlFailure) own.push(urlFailure);

  for (const c of snapshot.collisions) {
    own.push({
      reason: 'NameCollision',
      message: `an ${c.kind} named "${c.name}" already exists in this namespace; gateways would resolve the name to it, so rename this MCPRemoteEndpoint or remove the ${c.kind}`,
    });
  }

  const group = checkGroup(endpoint, snapshot);
  conditions.push(group);
  if (group.status !== 'True') referenced.push(group);

  const authRef = endpoint.spec.externalAuthConfigRef;
  if (authRef?.name) {
    const auth = snapshot.authConfig;
    const headerFailure = auth ? authHeaderFailure(auth) : undefined;
    const cond: DesiredCondition = headerFailure
      ? { type: ConditionType.AuthConfigValid, status: 'False', ...headerFailure }
      : auth
        ? {
            type: ConditionType.AuthConfigValid,
            status: 'True',
            reason: 'AuthConfigFound',
            message: `MCPExternalAuthConfig "${authRef.name}" (type ${auth.spec?.type ?? 'unknown'}) found`,
          }
        : {
            type: ConditionType.AuthConfigValid,
            status: 'False',
            reason: 'AuthConfigNotFound',
            message: `MCPExternalAuthConfig "${authRef.name}" (spec.externalAuthConfigRef) does not exist in this namespace; create it or remove the reference`,
          };
    conditions.push(cond);
    if (cond.status !== 'True') referenced.push(cond);
    const authType = auth?.spec?.type;
    if (endpoint.spec.type === 'direct' && authType && DIRECT_MODE_UNSUPPORTED_AUTH_TYPES.includes(authType)) {
      own.push({
        reason: 'UnsupportedAuthTypeForDirectMode',
        message: `MCPExternalAuthConfig "${authRef.name}" has type ${authType}, which needs a proxy pod and cannot be used with type: direct; use type: proxy, or an auth type the gateway applies itself (unauthenticated, headerInjection, tokenExchange)`,
      });
    }
  }

  const caRef = endpoint.spec.caBundleRef;
  if (caRef?.name) {
    const check = checkCaBundle(caRef, snapshot.caBundle);
    const cond: DesiredCondition = check.ok
      ? {
          type: ConditionType.CABundleValid,
          status: 'True',
          reason: 'CABundleValid',
          message: `ConfigMap "${caRef.name}" holds ${check.certificates} PEM certificate${check.certificates === 1 ? '' : 's'}`,
        }
      : { type: ConditionType.CABundleValid, status: 'False', reason: check.reason, message: check.message };
    conditions.push(cond);
    if (cond.status !== 'True') referenced.push(cond);
  }

  const toolRef = endpoint.spec.toolConfigRef;
  if (toolRef?.name) {
    // Gateways and the proxy pod refuse to serve an endpoint whose tool filter they cannot read (it might show tools
    // that were meant to be hidden), so a missing MCPToolConfig makes the endpoint unusable, not merely unfiltered.
    const cond: DesiredCondition = snapshot.toolConfig
      ? {
          type: ConditionType.ToolConfigValid,
          status: 'True',
          reason: 'ToolConfigFound',
          message: `MCPToolConfig "${toolRef.name}" found`,
        }
      : {
          type: ConditionType.ToolConfigValid,
          status: 'False',
          reason: 'ToolConfigNotFound',
          message: `MCPToolConfig "${toolRef.name}" (spec.toolConfigRef) does not exist in this namespace; gateways and the proxy will not serve this endpoint without its tool filter: create it or remove the reference`,
        };
    conditions.push(cond);
    if (cond.status !== 'True') referenced.push(cond);
  }

  own.push(...checkHeaders(endpoint, snapshot));
  if (endpoint.spec.type === 'proxy') {
    const telemetry = endpoint.spec.proxyConfig?.telemetry;
    own.push(...telemetryProblems(telemetry, 'spec.proxyConfig.telemetry'));
    own.push(...telemetrySecretProblems(telemetry, 'spec.proxyConfig.telemetry', snapshot.secrets));
  }

  if (endpoint.spec.type === 'proxy' && !endpoint.spec.proxyConfig) {
    own.push({
      reason: 'ProxyConfigMissing',
      message: 'spec.proxyConfig is required when spec.type is proxy; set spec.proxyConfig.oidcConfig',
    });
  }

  const failures = [...own, ...referenced];
  const first = own[0] ?? referenced[0];
  conditions.push(
    first
      ? {
          type: ConditionType.ConfigurationValid,
          status: 'False',
          reason: first.reason,
          message: failures.map((f) => f.message).join('; '),
        }
      : {
          type: ConditionType.ConfigurationValid,
          status: 'True',
          reason: 'ConfigurationValid',
          message: 'all validation checks passed',
        },
  );
  return { conditions, failures, valid: failures.length === 0 };
}

/**
 * The shared URL rule (http-url.ts), which the CRD also enforces at admission; it still runs here because objects
 * stored under an older, looser CRD keep their URLs.
 */
export function checkRemoteURL(raw: string): Failure | undefined {
  const problem = httpUrlProblem(raw);
  return problem ? { reason: 'RemoteURLInvalid', message: `spec.remoteURL ${problem}` } : undefined;
}

function checkGroup(endpoint: Endpoint, snapshot: EndpointSnapshot): DesiredCondition {
  const name = endpoint.spec.groupRef ?? '';
  const type = ConditionType.GroupRefValid;
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
    return {
      type,
      status: 'False',
      reason: 'GroupRefInvalid',
      message: `spec.groupRef ${JSON.stringify(name)} is not a valid MCPGroup name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters)`,
    };
  }
  const group = snapshot.group;
  if (!group) {
    return {
      type,
      status: 'False',
      reason: 'GroupNotFound',
      message: `MCPGroup "${name}" (spec.groupRef) does not exist in this namespace; create it or fix spec.groupRef`,
    };
  }
  if (group.metadata.deletionTimestamp) {
    return {
      type,
      status: 'False',
      reason: 'GroupTerminating',
      message: `MCPGroup "${name}" is being deleted; move this endpoint to another group`,
    };
  }
  return { type, status: 'True', reason: 'GroupFound', message: `MCPGroup "${name}" found` };
}

function checkHeaders(endpoint: Endpoint, snapshot: EndpointSnapshot): Failure[] {
  const failures: Failure[] = [];
  const forward = endpoint.spec.headerForward;
  for (const [name, value] of Object.entries(forward?.addPlaintextHeaders ?? {})) {
    const bad = badHeaderName(name, 'spec.headerForward.addPlaintextHeaders');
    if (bad) failures.push(bad);
    const valueProblem = headerValueProblem(value);
    if (valueProblem) {
      failures.push({
        reason: 'HeaderValueInvalid',
        message: `spec.headerForward.addPlaintextHeaders["${name}"] ${valueProblem}, which the gateway refuses to send; fix the value`,
      });
    }
  }
  for (const h of forward?.addHeadersFromSecret ?? []) {
    const bad = badHeaderName(h.headerName, 'spec.headerForward.addHeadersFromSecret');
    if (bad) failures.push(bad);
    const ref = h.valueSecretRef;
    const secret = snapshot.secrets[ref.name];
    if (!secret) {
      failures.push({
        reason: 'HeaderSecretNotFound',
        message: `Secret "${ref.name}" (header ${h.headerName}) does not exist in this namespace; create it with key "${ref.key}"`,
      });
    } else if (!secret.keys.includes(ref.key)) {
      failures.push({
        reason: 'HeaderSecretNotFound',
        message: `Secret "${ref.name}" (header ${h.headerName}) has no key "${ref.key}"; add the key or fix valueSecretRef.key`,
      });
    }
  }
  return failures;
}

/** The one header rule (header-policy.ts), which the gateway and the proxy apply again before sending. */
function badHeaderName(name: string, field: string): Failure | undefined {
  const problem = headerNameProblem(name);
  if (!problem) return undefined;
  return { reason: problem.reason, message: `${field} header ${JSON.stringify(name.slice(0, 64))} ${problem.message}` };
}

/** A header the referenced auth config would have the gateway send, when the header rule refuses it. */
function authHeaderFailure(auth: ExternalAuthConfig): Failure | undefined {
  const name = auth.metadata.name;
  const injected = auth.spec?.type === 'headerInjection' ? auth.spec.headerInjection?.headerName : undefined;
  if (injected !== undefined) return badHeaderName(injected, `MCPExternalAuthConfig "${name}" spec.headerInjection`);
  const tokenHeader =
    auth.spec?.type === 'tokenExchange' ? auth.spec.tokenExchange?.externalTokenHeaderName : undefined;
  if (tokenHeader)
    return badHeaderName(tokenHeader, `MCPExternalAuthConfig "${name}" spec.tokenExchange.externalTokenHeaderName`);
  return undefined;
}
