// Fields that MCPRemoteProxy and MCPServerEntry share with MCPRemoteEndpoint, in both of the shapes users have:
// the RFC era (`remoteURL`, `groupRef: <string>`) and ToolHive v1beta1 (`remoteUrl`, `groupRef: {name}`).

import { httpUrlProblem } from '../http-url.ts';
import { isPlainObject } from '../plain-object.ts';
import { type CopyContext, copyByShape, reportUnknown } from './copy-by-shape.ts';
import type { Report } from './report.ts';
import { fieldsOf, HEADER_FORWARD_SHAPE, SPEC_SHAPE } from './target-shape.ts';

const SPEC_FIELDS = fieldsOf(SPEC_SHAPE);

/** The group used when neither the object nor `--group` names one; an obvious placeholder, reported as a note. */
export const PLACEHOLDER_GROUP = 'ungrouped';

export interface ConvertOptions {
  /** groupRef for objects that have none (MCPRemoteProxy's groupRef is optional, MCPRemoteEndpoint's is not). */
  defaultGroup?: string;
  /** Appended to every converted object's name, so the new object can run beside the old one. */
  nameSuffix?: string;
  /**
   * Put every converted endpoint into this group instead of its own, recording its own group in the
   * TARGET_GROUP_ANNOTATION, so it can be verified before the gateway of the real group routes to it.
   */
  stagingGroup?: string;
}

/** Where --staging-group records the group an endpoint belongs in; the migration guide's switch step reads it. */
export const TARGET_GROUP_ANNOTATION = 'mcpre.toolhive.stacklok.dev/target-group';

/** Either the converted object, or why the document cannot be converted at all (the CLI then exits 1). */
export type Conversion = { ok: true; object: Record<string, unknown> } | { ok: false; error: string };

/** remoteURL (RFC) or remoteUrl (ToolHive v1beta1); undefined with an error when neither is a usable URL. */
export function readRemoteURL(spec: Record<string, unknown>, report: Report): { url?: string; error?: string } {
  const rfc = spec.remoteURL;
  const thv = spec.remoteUrl;
  const chosen = rfc ?? thv;
  const chosenPath = rfc !== undefined && rfc !== null ? 'spec.remoteURL' : 'spec.remoteUrl';
  if (rfc !== undefined && rfc !== null && thv !== undefined && thv !== null && rfc !== thv) {
    report.unmapped(
      'spec.remoteUrl',
      `spec.remoteURL is also set and wins (${JSON.stringify(rfc)}); remove one of them`,
    );
  }
  if (chosen === undefined || chosen === null || chosen === '') {
    // Some ToolHive examples say upstreamURL, which no ToolHive CRD has ever accepted.
    const hint =
      typeof spec.upstreamURL === 'string' ? ' (spec.upstreamURL is not a ToolHive field: rename it to remoteUrl)' : '';
    return { error: `spec.remoteUrl (or spec.remoteURL) is missing; MCPRemoteEndpoint requires the remote URL${hint}` };
  }
  if (typeof chosen !== 'string') return { error: `${chosenPath} ${JSON.stringify(chosen)} is not a URL` };
  // The CRD's URL rule: a URL it would refuse cannot be converted into an endpoint that applies.
  const problem = httpUrlProblem(chosen);
  if (problem) return { error: `${chosenPath} ${problem}` };
  return { url: chosen };
}

/** The transport, defaulted as the source kind defaults it; an unknown value cannot be converted. */
export function readTransport(
  spec: Record<string, unknown>,
  report: Report,
  whenMissing: { value: 'streamable-http'; note?: string },
): { transport?: string; error?: string } {
  const value = spec.transport;
  if (value === undefined || value === null || value === '') {
    if (whenMissing.note) report.note(whenMissing.note);
    return { transport: whenMissing.value };
  }
  if (value === 'streamable-http' || value === 'sse') return { transport: value };
  return {
    error: `spec.transport ${JSON.stringify(value)} is not streamable-http or sse; MCPRemoteEndpoint reaches remotes over HTTP only`,
  };
}

/** groupRef as a string (RFC) or `{name}` (ToolHive v1beta1); falls back to --group, then to a placeholder. */
export function readGroupRef(spec: Record<string, unknown>, report: Report, options: ConvertOptions): string {
  const raw = spec.groupRef;
  let group: string | undefined;
  if (typeof raw === 'string' && raw !== '') group = raw;
  else if (isPlainObject(raw)) {
    if (typeof raw.name === 'string' && raw.name !== '') group = raw.name;
    for (const key of Object.keys(raw)) {
      if (key !== 'name') report.unmapped(`spec.groupRef.${key}`, 'MCPRemoteEndpoint names its group by name only');
    }
  } else if (raw !== undefined && raw !== null && raw !== '') {
    report.unmapped('spec.groupRef', 'it is neither a group name nor {name: <group>}; set spec.groupRef by hand');
  }
  if (group) return group;
  if (options.defaultGroup) {
    report.note(`spec.groupRef is not set and MCPRemoteEndpoint requires one; used --group ${options.defaultGroup}`);
    return options.defaultGroup;
  }
  report.note(
    `spec.groupRef is not set and MCPRemoteEndpoint requires one; used the placeholder "${PLACEHOLDER_GROUP}", so the endpoint stays GroupRefValid=False until you set a real MCPGroup (or rerun with --group NAME)`,
  );
  return PLACEHOLDER_GROUP;
}

/** A `{name}` reference copied as-is (externalAuthConfigRef, toolConfigRef). */
export function copyNameRef(
  spec: Record<string, unknown>,
  field: 'externalAuthConfigRef' | 'toolConfigRef',
  ctx: CopyContext,
): unknown {
  const shape = SPEC_FIELDS[field];
  return shape ? copyByShape(spec[field], shape, `spec.${field}`, ctx) : undefined;
}

/** headerForward; THV-0055's text spells the secret list `addHeadersFromSecrets`, which is accepted as an alias. */
export function copyHeaderForward(spec: Record<string, unknown>, ctx: CopyContext): unknown {
  const raw = spec.headerForward;
  if (!isPlainObject(raw) || !('addHeadersFromSecrets' in raw)) {
    return copyByShape(raw, HEADER_FORWARD_SHAPE, 'spec.headerForward', ctx);
  }
  const { addHeadersFromSecrets, ...rest } = raw;
  if (rest.addHeadersFromSecret !== undefined && rest.addHeadersFromSecret !== null) {
    ctx.report.unmapped(
      'spec.headerForward.addHeadersFromSecrets',
      'addHeadersFromSecret is also set and wins; merge the two lists by hand',
    );
    return copyByShape(rest, HEADER_FORWARD_SHAPE, 'spec.headerForward', ctx);
  }
  return copyByShape(
    { ...rest, addHeadersFromSecret: addHeadersFromSecrets },
    HEADER_FORWARD_SHAPE,
    'spec.headerForward',
    ctx,
  );
}

/** The name of the converted object: the source name plus the optional suffix (which the CLI has validated). */
export function convertedName(name: string, report: Report, options: ConvertOptions): string {
  if (!options.nameSuffix) return name;
  const renamed = `${name}${options.nameSuffix}`;
  report.note(
    `renamed to ${renamed} (--name-suffix); gateways that prefix tools with the backend name will show the new name`,
  );
  return renamed;
}

/**
 * caBundleRef: `{name, key}` (RFC) or `{configMapRef: {name, key}}` (ToolHive v1beta1). An omitted key stays omitted:
 * both ToolHive and the MCPRemoteEndpoint CRD default it to ca.crt.
 */
export function convertCABundleRef(raw: unknown, report: Report): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    report.unmapped('spec.caBundleRef', 'it is not an object; set spec.caBundleRef: {name, key} by hand');
    return undefined;
  }
  const nested = isPlainObject(raw.configMapRef);
  const source = nested ? (raw.configMapRef as Record<string, unknown>) : raw;
  const base = nested ? 'spec.caBundleRef.configMapRef' : 'spec.caBundleRef';
  if (nested) {
    for (const key of Object.keys(raw)) {
      if (key !== 'configMapRef') report.unmapped(`spec.caBundleRef.${key}`, 'not part of a CA bundle reference');
    }
  }
  for (const key of Object.keys(source)) {
    if (key === 'name' || key === 'key' || source[key] === null || source[key] === undefined) continue;
    const reason =
      key === 'optional'
        ? 'an MCPRemoteEndpoint CA bundle is never optional: a missing ConfigMap or key makes CABundleValid False'
        : 'not part of a CA bundle reference';
    report.unmapped(`${base}.${key}`, reason);
  }
  if (typeof source.name !== 'string' || source.name === '') {
    report.unmapped(base, 'it names no ConfigMap, so it was left out; set spec.caBundleRef.name by hand');
    return undefined;
  }
  const out: Record<string, string> = { name: source.name };
  if (typeof source.key === 'string' && source.key !== '') out.key = source.key;
  return out;
}

/** The spec keys convertSharedFields reads (both spellings of the remote URL). */
export const SHARED_FIELDS: readonly string[] = [
  'remoteURL',
  'remoteUrl',
  'transport',
  'groupRef',
  'externalAuthConfigRef',
  'headerForward',
  'caBundleRef',
  // Not a ToolHive MCPServerEntry field, but valid on MCPRemoteEndpoint: a hand-written entry that has it keeps it.
  'toolConfigRef',
];

/**
 * The fields both source kinds carry over to MCPRemoteEndpoint unchanged in meaning: remote URL, transport (with the
 * kind's default when unset), group, auth config, forwarded headers, CA bundle and tool config. An unreadable URL
 * or transport is an error: the object is not converted.
 */
export function convertSharedFields(
  spec: Record<string, unknown>,
  ctx: CopyContext,
  options: ConvertOptions,
  transportDefault: { value: 'streamable-http'; note?: string },
): { fields: Record<string, unknown> } | { error: string } {
  const url = readRemoteURL(spec, ctx.report);
  if (url.error !== undefined || url.url === undefined) return { error: url.error ?? 'no remote URL' };
  const transport = readTransport(spec, ctx.report, transportDefault);
  if (transport.error !== undefined || transport.transport === undefined) return { error: transport.error ?? '' };
  return {
    fields: {
      remoteURL: url.url,
      transport: transport.transport,
      groupRef: readGroupRef(spec, ctx.report, options),
      externalAuthConfigRef: copyNameRef(spec, 'externalAuthConfigRef', ctx),
      headerForward: copyHeaderForward(spec, ctx),
      caBundleRef: convertCABundleRef(spec.caBundleRef, ctx.report),
      toolConfigRef: copyNameRef(spec, 'toolConfigRef', ctx),
    },
  };
}

/** Reports every set spec field the converter did not read (`handled`), so nothing is dropped silently. */
export function reportUnhandled(spec: Record<string, unknown>, handled: ReadonlySet<string>, ctx: CopyContext): void {
  for (const key of Object.keys(spec)) {
    if (handled.has(key) || spec[key] === null || spec[key] === undefined) continue;
    reportUnknown(ctx, `spec.${key}`);
  }
}
