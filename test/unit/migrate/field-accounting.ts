// "Never dropped silently", checked independently of the converter: every leaf value of a source object's metadata
// and spec must either show up, with the same value, where the RFC's migration tables put it in the converted
// object, or lie under a path the report names. The path mapping here is written from the RFC tables, not taken
// from the converter, so the two check each other.
import { isDeepStrictEqual } from 'node:util';
import type { ReportEntry } from '../../../src/api/migrate/report.ts';

type Json = unknown;

const SILENT_METADATA = new Set([
  'metadata.uid',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.creationTimestamp',
  'metadata.deletionTimestamp',
  'metadata.deletionGracePeriodSeconds',
  'metadata.managedFields',
  'metadata.selfLink',
  'metadata.annotations.kubectl.kubernetes.io/last-applied-configuration',
]);

const PROXY_POD_FIELDS = [
  'authzConfig',
  'audit',
  'resources',
  'serviceAccount',
  'sessionAffinity',
  'trustProxyHeaders',
  'endpointPrefix',
  'resourceOverrides',
];

const OIDC_KEY_ALIASES: Record<string, string> = {
  jwksURL: 'jwksUrl',
  introspectionURL: 'introspectionUrl',
  clientID: 'clientId',
};

/** A leaf: its path as segments (for lookups) and as text (for messages and report matching). */
interface Leaf {
  segments: (string | number)[];
  value: Json;
}

function leaves(value: Json, segments: (string | number)[] = []): Leaf[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...segments, i]));
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, Json>).flatMap(([k, v]) => leaves(v, [...segments, k]));
  }
  return [{ segments, value }];
}

export function pathText(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function get(value: Json, segments: readonly (string | number)[]): Json {
  let cur = value;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, Json>)[s];
  }
  return cur;
}

/** Where the RFC's tables put a source leaf, or undefined when the table has no row for it. */
function targetOf(kind: string, segs: (string | number)[], output: Json): (string | number)[] | undefined {
  const [top, field, ...rest] = segs;
  if (top === 'metadata') {
    if (field === 'name' || field === 'namespace' || field === 'labels' || field === 'annotations') return segs;
    return undefined;
  }
  if (top !== 'spec' || typeof field !== 'string') return undefined;
  switch (field) {
    case 'remoteURL':
    case 'remoteUrl':
      return ['spec', 'remoteURL'];
    case 'transport':
      return ['spec', 'transport'];
    case 'groupRef':
      return ['spec', 'groupRef'];
    case 'headerForward':
      // THV-0055's text spells the secret list addHeadersFromSecrets.
      return rest[0] === 'addHeadersFromSecrets'
        ? ['spec', 'headerForward', 'addHeadersFromSecret', ...rest.slice(1)]
        : segs;
    case 'externalAuthConfigRef':
    case 'toolConfigRef':
      return segs;
    case 'caBundleRef':
      return rest[0] === 'configMapRef' ? ['spec', 'caBundleRef', ...rest.slice(1)] : segs;
  }
  if (kind === 'MCPServerEntry') return undefined;
  if (field === 'port' || field === 'proxyPort') return ['spec', 'proxyConfig', 'proxyPort'];
  if (field === 'oidcConfig') {
    return [
      'spec',
      'proxyConfig',
      'oidcConfig',
      ...rest.map((s) => (typeof s === 'string' ? (OIDC_KEY_ALIASES[s] ?? s) : s)),
    ];
  }
  if (field === 'telemetry') return ['spec', 'proxyConfig', 'telemetry', ...rest];
  if (PROXY_POD_FIELDS.includes(field)) return ['spec', 'proxyConfig', field, ...rest];
  if (field === 'oidcConfigRef') {
    const oidc = get(output, ['spec', 'proxyConfig', 'oidcConfig']) as Record<string, Json> | undefined;
    const sub = oidc?.type === 'inline' ? 'inline' : 'kubernetes';
    if (rest[0] === 'audience') return ['spec', 'proxyConfig', 'oidcConfig', sub, 'audience'];
    if (rest[0] === 'resourceUrl') return ['spec', 'proxyConfig', 'oidcConfig', 'resourceUrl'];
  }
  if (field === 'telemetryConfigRef' && rest[0] === 'serviceName') {
    return ['spec', 'proxyConfig', 'telemetry', 'openTelemetry', 'serviceName'];
  }
  return undefined;
}

/** Lines describing each leaf that is neither carried over nor reported; empty when nothing was lost silently. */
export function silentlyLost(
  source: Record<string, Json>,
  output: Record<string, Json>,
  entries: readonly ReportEntry[],
  options: { nameSuffix?: string } = {},
): string[] {
  const kind = String(source.kind);
  const reported = entries.filter((e) => e.type === 'unmapped').map((e) => e.path);
  const inlined = entries
    .filter((e) => e.type === 'note' && e.message.startsWith('inlined '))
    .map((e) => (e.type === 'note' ? e.message : ''));
  const lost: string[] = [];
  for (const leaf of [...leaves(source.metadata, ['metadata']), ...leaves(source.spec, ['spec'])]) {
    const text = pathText(leaf.segments);
    if (
      SILENT_METADATA.has(text) ||
      [...SILENT_METADATA].some((p) => text.startsWith(`${p}[`) || text.startsWith(`${p}.`))
    ) {
      continue;
    }
    if (reported.some((p) => text === p || text.startsWith(`${p}.`) || text.startsWith(`${p}[`))) continue;
    // 0 is ToolHive's "unset" for ports (GetProxyPort falls back to 8080), so it has nothing to carry.
    if ((text === 'spec.port' || text === 'spec.proxyPort') && leaf.value === 0) continue;
    const [, field, sub] = leaf.segments;
    if ((field === 'oidcConfigRef' || field === 'telemetryConfigRef') && sub === 'name') {
      const kindName = field === 'oidcConfigRef' ? 'MCPOIDCConfig' : 'MCPTelemetryConfig';
      if (inlined.some((m) => m.startsWith(`inlined ${kindName} ${String(leaf.value)} `))) continue;
    }
    const target = targetOf(kind, leaf.segments, output);
    if (!target) {
      lost.push(`${text}: no row in the migration table and not reported`);
      continue;
    }
    let expected = leaf.value;
    if (text === 'metadata.name' && options.nameSuffix) expected = `${String(leaf.value)}${options.nameSuffix}`;
    const actual = get(output, target);
    if (!isDeepStrictEqual(actual, expected)) {
      lost.push(`${text} = ${JSON.stringify(leaf.value)}: ${pathText(target)} is ${JSON.stringify(actual)}`);
    }
  }
  return lost;
}
