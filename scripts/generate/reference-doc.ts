// Renders docs/crd-reference.md from the CRD YAML: every field (path, type, required, default, enum/constraints,
// description), every CEL rule with its message, and the printer columns.
import { type LoadedCrd, type SchemaNode, type ValidationRule, walkSchema } from './crds.ts';

/** Inline code that survives backticks and pipes inside the value. */
function code(value: string): string {
  const escaped = value.replaceAll('|', '\\|');
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

function text(value: string | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim().replaceAll('|', '\\|');
}

function typeOf(node: SchemaNode): string {
  if (node['x-kubernetes-int-or-string'] === true) return 'int-or-string';
  if (node.type === 'array') return `[]${node.items === undefined ? 'any' : typeOf(node.items)}`;
  if (node.type === 'object' && typeof node.additionalProperties === 'object') {
    return `map[string]${typeOf(node.additionalProperties)}`;
  }
  if (node.type === 'integer' && node.format !== undefined) return node.format;
  return node.type ?? 'any';
}

function constraints(node: SchemaNode): string {
  const parts: string[] = [];
  if (node.enum !== undefined) parts.push(`one of ${node.enum.map((v) => code(String(v))).join(', ')}`);
  if (node.pattern !== undefined) parts.push(`pattern ${code(node.pattern)}`);
  if (node.format !== undefined && node.type === 'string') parts.push(`format ${node.format}`);
  if (node.minimum !== undefined) parts.push(`min ${node.minimum}`);
  if (node.maximum !== undefined) parts.push(`max ${node.maximum}`);
  if (node.minLength !== undefined) parts.push(`minLength ${node.minLength}`);
  if (node.maxLength !== undefined) parts.push(`maxLength ${node.maxLength}`);
  if (node.minItems !== undefined) parts.push(`minItems ${node.minItems}`);
  if (node.maxItems !== undefined) parts.push(`maxItems ${node.maxItems}`);
  const listType = node['x-kubernetes-list-type'];
  if (listType !== undefined) {
    const keys = node['x-kubernetes-list-map-keys'];
    parts.push(`list ${listType}${keys === undefined ? '' : ` keyed by ${keys.join(', ')}`}`);
  }
  return parts.join('; ');
}

function renderRule(path: string, rule: ValidationRule): string {
  const message =
    rule.messageExpression !== undefined ? `(expression) ${code(text(rule.messageExpression))}` : text(rule.message);
  const oldSelf = rule.optionalOldSelf === true ? ' (optionalOldSelf)' : '';
  const transition = /\boldSelf\b/.test(rule.rule) ? ' (transition rule: UPDATE only)' : '';
  return `| ${code(path === '' ? '(root)' : path)} | ${code(rule.rule)}${oldSelf}${transition} | ${message} | ${
    rule.reason ?? ''
  } | ${rule.fieldPath === undefined ? '' : code(rule.fieldPath)} |`;
}

function renderCrd({ file, crd, version }: LoadedCrd): string {
  const names = crd.spec.names;
  const root = version.schema.openAPIV3Schema;
  const out: string[] = [];
  out.push(`## ${names.kind}`, '');
  out.push(
    `- API version: ${code(`${crd.spec.group}/${version.name}`)}, ${crd.spec.scope.toLowerCase()}; plural ${code(
      names.plural,
    )}${names.shortNames === undefined ? '' : `, short names ${names.shortNames.map(code).join(', ')}`}`,
  );
  out.push(`- Status subresource: ${version.subresources?.status === undefined ? 'no' : 'yes'}`);
  out.push(`- Source: ${code(file)}`, '');
  out.push(text(root.description), '');

  const columns = version.additionalPrinterColumns ?? [];
  if (columns.length > 0) {
    out.push('### Printer columns (`kubectl get`)', '');
    out.push('| Column | JSONPath | Type | Shown |', '| --- | --- | --- | --- |');
    for (const c of columns) {
      out.push(`| ${c.name} | ${code(c.jsonPath)} | ${c.type} | ${(c.priority ?? 0) > 0 ? '`-o wide`' : 'always'} |`);
    }
    out.push('');
  }

  const rules = [...walkSchema(root)].flatMap(({ path, node }) =>
    (node['x-kubernetes-validations'] ?? []).map((rule) => renderRule(path, rule)),
  );
  if (rules.length > 0) {
    out.push('### Validation rules (CEL)', '');
    out.push(
      'Enforced by the API server on create and update. Rules that mention `oldSelf` are transition rules: they run',
      'only on update, against the stored object, and are skipped on create.',
      '',
    );
    out.push('| On | Rule | Message | Reason | Field path |', '| --- | --- | --- | --- | --- |', ...rules, '');
  }

  out.push('### Fields', '');
  out.push(
    '| Field | Type | Required | Default | Constraints | Description |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const { path, node, required } of walkSchema(root)) {
    if (path === '' || path === 'apiVersion' || path === 'kind' || path === 'metadata') continue;
    const dflt = node.default === undefined ? '' : code(JSON.stringify(node.default));
    out.push(
      `| ${code(path)} | ${typeOf(node)} | ${required ? 'yes' : ''} | ${dflt} | ${constraints(node)} | ${text(
        node.description,
      )} |`,
    );
  }
  out.push('');
  return out.join('\n');
}

// The kind users meet first goes first; any other kind follows in file order.
const ORDER = ['MCPRemoteEndpoint', 'MCPGroup', 'MCPExternalAuthConfig', 'MCPToolConfig'];
const rank = (c: LoadedCrd) => {
  const i = ORDER.indexOf(c.crd.spec.names.kind);
  return i === -1 ? ORDER.length : i;
};

export function generateReferenceDoc(unordered: LoadedCrd[]): string {
  const crds = [...unordered].sort((a, b) => rank(a) - rank(b));
  const head = [
    '# CRD reference',
    '',
    '<!-- Generated by scripts/generate.ts from crds/*.yaml. Do not edit: edit the CRDs and run `npm run generate`. -->',
    '',
    'Every custom resource of mcpre, group `toolhive.stacklok.dev`. Paths use `[]` for list items and `*` for map',
    'values. `kubectl explain <kind>.<path>` shows the same descriptions.',
    '',
    ...crds.map(({ crd }) => `- [${crd.spec.names.kind}](#${crd.spec.names.kind.toLowerCase()})`),
    '',
  ];
  return `${[...head, ...crds.map(renderCrd)].join('\n').trimEnd()}\n`;
}
