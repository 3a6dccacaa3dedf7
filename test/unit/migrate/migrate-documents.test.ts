// Behaviour of the conversion that the fixtures do not pin down: errors and their document index, all-or-nothing,
// the options, conflicting fields, and what counts as a document to convert.
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { migrateManifests } from '../../../src/api/migrate/migrate-documents.ts';
import { formatEntry, type ReportEntry } from '../../../src/api/migrate/report.ts';
import { validateEndpoint } from './crd-validator.ts';

type Obj = Record<string, unknown>;

const specOf = (doc: Obj | undefined): Obj => (doc?.spec ?? {}) as Obj;
const metaOf = (doc: Obj | undefined): Obj => (doc?.metadata ?? {}) as Obj;
const proxyOf = (doc: Obj | undefined): Obj => (specOf(doc).proxyConfig ?? {}) as Obj;

function ok(text: string, options = {}): { output: string; docs: Obj[]; lines: string[]; entries: ReportEntry[] } {
  const result = migrateManifests(text, options);
  if (!result.ok) throw new Error(result.error);
  const docs = parseAllDocuments(result.output).map((d) => d.toJS() as Obj);
  return { output: result.output, docs, lines: result.entries.map(formatEntry), entries: result.entries };
}

function failure(text: string): string {
  const result = migrateManifests(text);
  if (result.ok) throw new Error(`expected a failure, got:\n${result.output}`);
  return result.error;
}

const entry = (spec: string, meta = 'name: e1\n  namespace: ns') =>
  `apiVersion: toolhive.stacklok.dev/v1beta1\nkind: MCPServerEntry\nmetadata:\n  ${meta}\nspec:\n${spec}`;
const proxy = (spec: string, meta = 'name: p1\n  namespace: ns') =>
  `apiVersion: toolhive.stacklok.dev/v1beta1\nkind: MCPRemoteProxy\nmetadata:\n  ${meta}\nspec:\n${spec}`;
const URL_GROUP = '  remoteUrl: https://r.example.com/mcp\n  transport: sse\n  groupRef: {name: g}\n';

describe('input errors (exit 1 in the CLI): all or nothing', () => {
  it('names the document and the YAML error, and produces no output', () => {
    const error = failure(`${entry(URL_GROUP)}\n---\nkind: ConfigMap\n---\nmetadata: [unclosed\n`);
    expect(error).toMatch(/^document 3: invalid YAML: .*line \d+, column \d+/);
  });

  it('refuses a document without a usable remote URL, naming it', () => {
    expect(failure(`kind: ConfigMap\n---\n${entry('  transport: sse\n  groupRef: g\n')}`)).toBe(
      'document 2 (MCPServerEntry/ns/e1): cannot convert: spec.remoteUrl (or spec.remoteURL) is missing; MCPRemoteEndpoint requires the remote URL',
    );
    expect(failure(entry('  remoteUrl: ftp://r.example.com\n  transport: sse\n'))).toContain(
      'spec.remoteUrl "ftp://r.example.com" does not start with http:// or https://',
    );
    // The CRD's URL rule, and the password never repeated.
    const creds = failure(entry('  remoteUrl: https://me:hunter2@r.example.com/mcp\n  transport: sse\n'));
    expect(creds).toContain('spec.remoteUrl "https://***@r.example.com/mcp" carries credentials');
    expect(creds).not.toContain('hunter2');
  });

  it('refuses a transport MCPRemoteEndpoint cannot speak, a missing name, and a missing spec', () => {
    expect(failure(proxy('  remoteUrl: https://r.example.com\n  transport: stdio\n'))).toContain(
      'spec.transport "stdio" is not streamable-http or sse',
    );
    expect(failure(entry(URL_GROUP, 'namespace: ns'))).toContain(
      'MCPServerEntry/ns/-): cannot convert: metadata.name is missing',
    );
    expect(failure('apiVersion: toolhive.stacklok.dev/v1beta1\nkind: MCPRemoteProxy\nmetadata: {name: p}\n')).toContain(
      'spec is missing',
    );
  });

  it('names the List item that cannot be converted', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ kind: 'ConfigMap' }, parse(entry('  transport: sse\n'))] };
    expect(failure(JSON.stringify(list))).toMatch(/^document 1 item 2 \(MCPServerEntry\/ns\/e1\): cannot convert/);
  });
});

describe('what is converted and what passes through', () => {
  it('converts only the toolhive.stacklok.dev kinds; same-named kinds of another group pass through', () => {
    const other =
      'apiVersion: example.com/v1\nkind: MCPRemoteProxy\nmetadata: {name: x}\nspec: {remoteUrl: https://x}\n';
    const r = ok(`${other}---\n${entry(URL_GROUP)}`);
    expect(r.docs[0]).toEqual(parse(other));
    expect((r.docs[1] as Obj).kind).toBe('MCPRemoteEndpoint');
    expect(r.lines[0]).toBe(
      'MCPRemoteProxy/-/x: passed through unchanged (document 1): mcpre migrate converts only MCPRemoteProxy and MCPServerEntry',
    );
  });

  it('skips empty documents and accepts empty input', () => {
    expect(ok('').output).toBe('');
    const r = ok(`---\n---\n${entry(URL_GROUP)}\n---\n`);
    expect(r.docs).toHaveLength(1);
    expect(r.output.endsWith('\n')).toBe(true);
  });

  it('keeps a List without convertible items as written, comments included', () => {
    const list =
      'apiVersion: v1\nkind: List\n# keep me\nitems:\n  - kind: ConfigMap # and me\n    metadata:\n      name: c\n';
    expect(ok(list).output).toBe(list);
  });

  it('produces the same text for the same input, every time', () => {
    const input = `${proxy(`${URL_GROUP}  audit: {enabled: true}\n  zzUnknown: 1\n`)}\n---\n${entry(URL_GROUP)}`;
    expect(ok(input).output).toBe(ok(input).output);
    expect(ok(input).lines).toEqual(ok(input).lines);
  });
});

describe('options', () => {
  it('uses --group for objects without a groupRef, with a note', () => {
    const r = ok(proxy('  remoteUrl: https://r.example.com\n'), { defaultGroup: 'platform' });
    expect(specOf(r.docs[0]).groupRef).toBe('platform');
    expect(r.lines).toContain(
      'MCPRemoteProxy/ns/p1: note: spec.groupRef is not set and MCPRemoteEndpoint requires one; used --group platform',
    );
  });

  it('falls back to the "ungrouped" placeholder without --group, and says so', () => {
    const r = ok(proxy('  remoteUrl: https://r.example.com\n'));
    expect(specOf(r.docs[0]).groupRef).toBe('ungrouped');
    expect(r.lines.some((l) => l.includes('placeholder "ungrouped"'))).toBe(true);
  });

  it('renames with --name-suffix and keeps an explicit group', () => {
    const r = ok(entry(URL_GROUP), { nameSuffix: '-v2', defaultGroup: 'ignored' });
    expect(metaOf(r.docs[0]).name).toBe('e1-v2');
    expect(specOf(r.docs[0]).groupRef).toBe('g');
    expect(r.lines.some((l) => l.includes('renamed to e1-v2'))).toBe(true);
  });
});

describe('--staging-group', () => {
  it('stages the endpoint and keeps its own group (or --group) in the target-group annotation', () => {
    const r = ok(`${entry(URL_GROUP)}\n---\n${proxy('  remoteUrl: https://r.example.com\n')}`, {
      stagingGroup: 'migration-staging',
      defaultGroup: 'platform',
    });
    expect(r.docs.map((d) => specOf(d).groupRef)).toEqual(['migration-staging', 'migration-staging']);
    expect(r.docs.map((d) => (metaOf(d).annotations as Obj)['mcpre.toolhive.stacklok.dev/target-group'])).toEqual([
      'g',
      'platform',
    ]);
    expect(r.lines.filter((l) => l.includes('note: staged in group migration-staging'))).toHaveLength(2);
    for (const d of r.docs) expect(validateEndpoint(d)).toEqual([]);
  });
});

describe('conflicts and leftovers are reported, never resolved silently', () => {
  it('takes proxyPort over the deprecated port and reports the loser; port alone maps to proxyPort', () => {
    const both = ok(proxy(`${URL_GROUP}  port: 9090\n  proxyPort: 8081\n`));
    expect(proxyOf(both.docs[0]).proxyPort).toBe(8081);
    expect(both.lines.some((l) => l.includes('field spec.port has no') && l.includes('(8081) wins'))).toBe(true);
    const alone = ok(proxy(`${URL_GROUP}  port: 9090\n`));
    expect(proxyOf(alone.docs[0]).proxyPort).toBe(9090);
  });

  it('prefers remoteURL over a different remoteUrl and reports it', () => {
    const r = ok(
      entry(
        '  remoteURL: https://a.example.com\n  remoteUrl: https://b.example.com\n  transport: sse\n  groupRef: g\n',
      ),
    );
    expect(specOf(r.docs[0]).remoteURL).toBe('https://a.example.com');
    expect(r.lines.some((l) => l.includes('field spec.remoteUrl has no'))).toBe(true);
  });

  it('prefers inline oidcConfig over oidcConfigRef and reports the reference', () => {
    const r = ok(
      proxy(
        `${URL_GROUP}  oidcConfig: {type: configMap, configMap: {name: oidc}}\n  oidcConfigRef: {name: x, audience: a}\n`,
      ),
    );
    const proxyConfig = specOf(r.docs[0]).proxyConfig as Obj;
    expect(proxyConfig.oidcConfig).toEqual({ type: 'configMap', configMap: { name: 'oidc' } });
    expect(r.lines.some((l) => l.includes('field spec.oidcConfigRef has no') && l.includes('also set and wins'))).toBe(
      true,
    );
  });

  it('inlines an MCPOIDCConfig only from the same namespace', () => {
    const config = (ns: string) =>
      `apiVersion: toolhive.stacklok.dev/v1beta1\nkind: MCPOIDCConfig\nmetadata: {name: idp, namespace: ${ns}}\nspec: {type: inline, inline: {issuer: https://idp.example.com}}\n`;
    const ref = `${URL_GROUP}  oidcConfigRef: {name: idp, audience: p1}\n`;
    const other = ok(`${config('elsewhere')}---\n${proxy(ref)}`);
    expect(proxyOf(other.docs[1]).oidcConfig).toEqual({ type: 'kubernetes' });
    const same = ok(`${config('ns')}---\n${proxy(ref)}`);
    expect(proxyOf(same.docs[1]).oidcConfig).toEqual({
      type: 'inline',
      inline: { issuer: 'https://idp.example.com', audience: 'p1' },
    });
  });

  it('does not fall back to the default OIDC type when the given one is unusable', () => {
    const r = ok(proxy(`${URL_GROUP}  oidcConfig: {type: oauth2, inline: {issuer: https://i.example.com}}\n`));
    expect(proxyOf(r.docs[0]).oidcConfig).toEqual({ type: 'kubernetes' });
    expect(r.lines.some((l) => l.includes('field spec.oidcConfig.type has no'))).toBe(true);
    expect(
      r.lines.some((l) => l.includes('placeholder {type: kubernetes} because spec.oidcConfig.type was unusable')),
    ).toBe(true);
  });

  it('reports owner references, finalizers and an optional CA bundle flag; drops server fields quietly', () => {
    const meta =
      'name: e1\n  namespace: ns\n  uid: x\n  resourceVersion: "1"\n  ownerReferences: [{apiVersion: v1, kind: X, name: o, uid: u}]\n  finalizers: [a/b]';
    const r = ok(entry(`${URL_GROUP}  caBundleRef: {configMapRef: {name: ca, optional: true}}\n`, meta));
    expect(
      r.lines.filter((l) => l.includes('has no MCPRemoteEndpoint equivalent')).map((l) => l.split(' has no')[0]),
    ).toEqual([
      'MCPServerEntry/ns/e1: field metadata.ownerReferences',
      'MCPServerEntry/ns/e1: field metadata.finalizers',
      'MCPServerEntry/ns/e1: field spec.caBundleRef.configMapRef.optional',
    ]);
    expect(r.docs[0]?.metadata).toEqual({ name: 'e1', namespace: 'ns' });
    expect(specOf(r.docs[0]).caBundleRef).toEqual({ name: 'ca' });
  });

  it('notes a defaulted transport on an MCPServerEntry (required there) but not on an MCPRemoteProxy (defaulted there)', () => {
    const e = ok(entry('  remoteUrl: https://r.example.com\n  groupRef: g\n'));
    expect(specOf(e.docs[0]).transport).toBe('streamable-http');
    expect(e.lines.some((l) => l.includes('note: spec.transport is not set'))).toBe(true);
    const p = ok(
      proxy('  remoteUrl: https://r.example.com\n  groupRef: {name: g}\n  oidcConfig: {type: kubernetes}\n'),
    );
    expect(specOf(p.docs[0]).transport).toBe('streamable-http');
    expect(p.lines).toEqual([]);
  });

  it('leaves out an incomplete object the CRD would reject, and says which field it lacks', () => {
    const r = ok(
      proxy(
        `${URL_GROUP}  oidcConfig: {type: kubernetes}\n  resourceOverrides: {proxyDeployment: {env: [{name: A}]}}\n`,
      ),
    );
    expect(proxyOf(r.docs[0]).resourceOverrides).toBeUndefined();
    expect(r.lines).toEqual([
      'MCPRemoteProxy/ns/p1: field spec.resourceOverrides.proxyDeployment.env[0] has no MCPRemoteEndpoint equivalent: it lacks value, which MCPRemoteEndpoint requires here, so it was left out; complete it by hand',
    ]);
    expect(validateEndpoint(r.docs[0])).toEqual([]);
  });
});
