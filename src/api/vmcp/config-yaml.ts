// The gateway config's YAML exactly as `stringify(input, { lineWidth: 0 })` writes it, with each backend's lines
// remembered by the backend's value: a VirtualMCPServer's config is written again whenever a member of its group
// changes, and all its other backends are written as before. Only for values whose text is certain to be the same
// (yamlRoundTrip: printable ASCII, so no multi-line scalars; each object once, so no anchors); anything else is
// written whole. test/unit/vmcp/config-yaml.test.ts compares the two on generated configs.
import { stringify } from 'yaml';
import type { GatewayConfigInput } from '../gateway/config.ts';
import { memoByText } from '../text-memo.ts';
import { yamlRoundTrip } from '../yaml-round-trip.ts';

const OPTIONS = { lineWidth: 0 } as const;
const EMPTY = 'backends: []\n';
/** Backends of every VirtualMCPServer; one endpoint is a backend of each VirtualMCPServer of its group. */
const backendLines = memoByText<string>(8192);

export function gatewayConfigYaml(input: GatewayConfigInput): string {
  const backends = input.backends ?? [];
  if (backends.length === 0 || yamlRoundTrip(input) === undefined) return stringify(input, OPTIONS);
  // The document with an empty list in its place, then the list's lines where the empty list was: a top-level key
  // is the only line starting with "backends:" (nested lines are indented, and no scalar spans lines).
  const rest = stringify({ ...input, backends: [] }, OPTIONS);
  const at = rest.startsWith(EMPTY) ? 0 : rest.indexOf(`\n${EMPTY}`) + 1;
  if (at === 0 && !rest.startsWith(EMPTY)) return stringify(input, OPTIONS);
  const items = backends.map((b) => backendLines(JSON.stringify(b), () => indent(stringify([b], OPTIONS))));
  return `${rest.slice(0, at)}backends:\n${items.join('')}${rest.slice(at + EMPTY.length)}`;
}

/** A sequence entry as it is written one level down, under its parent's key. */
function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}
