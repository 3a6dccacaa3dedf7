// Turns each CRD's openAPIV3Schema into TypeScript declarations with json-schema-to-typescript. The CRD YAML stays
// the only source: this file only decides names (titles) and how Kubernetes-specific schema keys map to TypeScript.
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import type { LoadedCrd, SchemaNode } from './crds.ts';

/** Output file (without directory) and the named types to pull out of each kind's schema, keyed by schema path. */
interface KindPlan {
  file: string;
  titles: Record<string, string>;
}

// Names other code imports. Paths not listed here stay inline (anonymous) in their parent's declaration.
const plans: Record<string, KindPlan> = {
  MCPRemoteEndpoint: {
    file: 'mcp-remote-endpoint.ts',
    titles: {
      '': 'MCPRemoteEndpoint',
      spec: 'MCPRemoteEndpointSpec',
      'spec.type': 'MCPRemoteEndpointType',
      'spec.transport': 'MCPTransport',
      'spec.externalAuthConfigRef': 'ExternalAuthConfigRef',
      'spec.headerForward': 'HeaderForward',
      'spec.headerForward.addHeadersFromSecret[]': 'HeaderFromSecret',
      'spec.caBundleRef': 'CABundleRef',
      'spec.toolConfigRef': 'ToolConfigRef',
      'spec.proxyConfig': 'MCPRemoteEndpointProxyConfig',
      'spec.proxyConfig.oidcConfig': 'OIDCConfigRef',
      'spec.proxyConfig.authzConfig': 'AuthzConfigRef',
      'spec.proxyConfig.audit': 'AuditConfig',
      'spec.proxyConfig.telemetry': 'TelemetryConfig',
      'spec.proxyConfig.resources': 'ResourceRequirements',
      'spec.proxyConfig.sessionAffinity': 'SessionAffinity',
      'spec.proxyConfig.resourceOverrides': 'ResourceOverrides',
      status: 'MCPRemoteEndpointStatus',
      'status.phase': 'MCPRemoteEndpointPhase',
      'status.session': 'MCPRemoteEndpointSessionStatus',
      'status.session.circuit': 'CircuitState',
    },
  },
  MCPGroup: {
    file: 'mcp-group.ts',
    titles: {
      '': 'MCPGroup',
      spec: 'MCPGroupSpec',
      status: 'MCPGroupStatus',
      'status.phase': 'MCPGroupPhase',
    },
  },
  MCPExternalAuthConfig: {
    file: 'mcp-external-auth-config.ts',
    titles: {
      '': 'MCPExternalAuthConfig',
      spec: 'MCPExternalAuthConfigSpec',
      'spec.type': 'ExternalAuthType',
      'spec.tokenExchange': 'TokenExchangeConfig',
      'spec.headerInjection': 'HeaderInjectionConfig',
      'spec.embeddedAuthServer': 'EmbeddedAuthServerConfig',
      'spec.embeddedAuthServer.upstreamProviders[]': 'UpstreamProviderConfig',
      'spec.awsSts': 'AwsStsConfig',
      'spec.awsSts.roleMappings[]': 'AwsStsRoleMapping',
      status: 'MCPExternalAuthConfigStatus',
    },
  },
  VirtualMCPServer: {
    file: 'virtual-mcp-server.ts',
    titles: {
      '': 'VirtualMCPServer',
      spec: 'VirtualMCPServerSpec',
      'spec.incomingAuth': 'VirtualMCPServerIncomingAuth',
      'spec.incomingAuth.oidc': 'VirtualMCPServerOIDC',
      'spec.outgoingAuth': 'VirtualMCPServerOutgoingAuth',
      'spec.aggregation': 'VirtualMCPServerAggregation',
      'spec.aggregation.tools[]': 'VirtualMCPServerBackendTools',
      'spec.aggregation.tools[].overrides.*': 'VirtualMCPServerToolOverride',
      'spec.resources': 'VirtualMCPServerResources',
      'spec.sessionStorage': 'VirtualMCPServerSessionStorage',
      'spec.telemetry': 'VirtualMCPServerTelemetry',
      status: 'VirtualMCPServerStatus',
      'status.phase': 'VirtualMCPServerPhase',
      'status.backends[]': 'VirtualMCPServerBackendStatus',
      'status.backends[].state': 'BackendSessionState',
    },
  },
  MCPToolConfig: {
    file: 'mcp-tool-config.ts',
    titles: {
      '': 'MCPToolConfig',
      spec: 'MCPToolConfigSpec',
      'spec.toolsOverride.*': 'ToolOverride',
      status: 'MCPToolConfigStatus',
    },
  },
};

const compileOptions = {
  additionalProperties: false, // CRD objects are closed unless x-kubernetes-preserve-unknown-fields says otherwise
  bannerComment: '',
  format: false, // Biome formats the result (see formatTypeScript in scripts/generate.ts)
  unknownAny: true,
  strictIndexSignatures: false,
  declareExternallyReferenced: true,
  enableConstEnums: false,
  unreachableDefinitions: false,
} as const;

export interface GeneratedFile {
  /** Path relative to the repository root. */
  path: string;
  content: string;
}

/** A metav1.Condition item: the same shape in every CRD, declared once in common.ts. */
function isConditionItem(path: string): boolean {
  return path === 'status.conditions[]';
}

/** A {name, key} reference to a Secret (both required): declared once in common.ts as SecretKeyRef. */
function isSecretKeyRef(node: SchemaNode): boolean {
  const keys = Object.keys(node.properties ?? {}).sort();
  const required = [...(node.required ?? [])].sort();
  return (
    node.type === 'object' &&
    keys.join(',') === 'key,name' &&
    required.join(',') === 'key,name' &&
    /secret/i.test(node.description ?? '')
  );
}

interface Conversion {
  titles: Record<string, string>;
  usedCommon: Set<string>;
}

/** Copies a CRD schema node into plain JSON Schema for json-schema-to-typescript, naming and sharing types on the way. */
function toJsonSchema(node: SchemaNode, path: string, conv: Conversion, share = true): JSONSchema {
  if (share && isConditionItem(path)) {
    conv.usedCommon.add('Condition');
    return { tsType: 'Condition', description: node.description };
  }
  if (share && isSecretKeyRef(node)) {
    conv.usedCommon.add('SecretKeyRef');
    return { tsType: 'SecretKeyRef', description: node.description };
  }
  const out: JSONSchema = {};
  const title = conv.titles[path];
  if (title !== undefined) out.title = title;
  // The API server fills defaults in; say so in the JSDoc, since TypeScript has no place for it.
  const dflt = node.default === undefined ? '' : `Default: ${JSON.stringify(node.default)}.`;
  const description = [node.description, dflt].filter((s) => s !== undefined && s !== '').join(' ');
  if (description !== '') out.description = description;
  if (node['x-kubernetes-int-or-string'] === true) {
    out.tsType = 'number | string';
    return out;
  }
  if (node.type !== undefined) out.type = node.type === 'integer' ? 'integer' : (node.type as JSONSchema['type']);
  if (node.enum !== undefined) out.enum = node.enum as JSONSchema['enum'];
  if (node.default !== undefined) out.default = node.default as JSONSchema['default'];
  if (node.required !== undefined) out.required = [...node.required];
  if (node.properties !== undefined) {
    out.properties = {};
    for (const [key, child] of Object.entries(node.properties)) {
      out.properties[key] = toJsonSchema(child, path === '' ? key : `${path}.${key}`, conv);
    }
  }
  if (node.items !== undefined) out.items = toJsonSchema(node.items, `${path}[]`, conv);
  if (typeof node.additionalProperties === 'object') {
    out.additionalProperties = toJsonSchema(node.additionalProperties, `${path}.*`, conv);
  } else if (node.additionalProperties === true || node['x-kubernetes-preserve-unknown-fields'] === true) {
    out.additionalProperties = true;
  }
  return out;
}

/** The root object gets literal apiVersion/kind and V1ObjectMeta metadata; all three are always present on the wire. */
function rootSchema(loaded: LoadedCrd, conv: Conversion): JSONSchema {
  const { crd, version } = loaded;
  const schema = toJsonSchema(version.schema.openAPIV3Schema, '', conv);
  const props = schema.properties ?? {};
  props.apiVersion = { ...props.apiVersion, enum: [`${crd.spec.group}/${version.name}`] };
  props.kind = { ...props.kind, enum: [crd.spec.names.kind] };
  props.metadata = { tsType: 'V1ObjectMeta', description: 'Standard object metadata.' };
  schema.properties = props;
  schema.required = [
    ...new Set(['apiVersion', 'kind', 'metadata', ...(version.schema.openAPIV3Schema.required ?? [])]),
  ];
  return schema;
}

function banner(source: string): string {
  return `// Generated by scripts/generate.ts from ${source}.\n// Do not edit: edit the CRD and run \`npm run generate\`.\n`;
}

/** Finds the first schema node at `path` in any CRD (used to declare the shared types from the YAML itself). */
function findNode(crds: LoadedCrd[], match: (node: SchemaNode, path: string) => boolean): SchemaNode {
  for (const { version } of crds) {
    const stack: Array<[SchemaNode, string]> = [[version.schema.openAPIV3Schema, '']];
    while (stack.length > 0) {
      const [node, path] = stack.shift()!;
      if (match(node, path)) return node;
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        stack.push([child, path === '' ? key : `${path}.${key}`]);
      }
      if (node.items !== undefined) stack.push([node.items, `${path}[]`]);
      if (typeof node.additionalProperties === 'object') stack.push([node.additionalProperties, `${path}.*`]);
    }
  }
  throw new Error('shared type not found in any CRD schema');
}

async function generateCommon(crds: LoadedCrd[]): Promise<GeneratedFile> {
  const condition = findNode(crds, (_n, path) => isConditionItem(path));
  const secretRef = findNode(crds, (n) => isSecretKeyRef(n));
  // Every CRD must declare the same condition shape, or one shared Condition type would lie about some of them.
  for (const { file, version } of crds) {
    const item = version.schema.openAPIV3Schema.properties?.status?.properties?.conditions?.items;
    if (item !== undefined && JSON.stringify(item) !== JSON.stringify(condition)) {
      throw new Error(`${file}: status.conditions[] differs from the Condition shape of the other CRDs`);
    }
  }
  const noop: Conversion = { titles: {}, usedCommon: new Set() };
  const parts = await Promise.all([
    compile({ ...toJsonSchema(condition, '', noop, false), title: 'Condition' }, 'Condition', compileOptions),
    compile(
      {
        ...toJsonSchema(secretRef, '', noop, false),
        title: 'SecretKeyRef',
        description: 'Reference to one key of a Secret in the same namespace; the value itself never appears in a CR.',
      },
      'SecretKeyRef',
      compileOptions,
    ),
  ]);
  const header = banner('crds/*.yaml (status.conditions items and Secret {name, key} references)');
  return { path: 'src/api/generated/common.ts', content: `${header}\n${parts.join('\n')}` };
}

async function generateKind(loaded: LoadedCrd): Promise<GeneratedFile> {
  const kind = loaded.crd.spec.names.kind;
  const plan = plans[kind];
  if (plan === undefined) {
    throw new Error(`${loaded.file}: no type plan for kind ${kind}; add one to scripts/generate/typescript.ts`);
  }
  const conv: Conversion = { titles: plan.titles, usedCommon: new Set() };
  const schema = rootSchema(loaded, conv);
  for (const path of Object.keys(plan.titles)) {
    if (!hasPath(loaded.version.schema.openAPIV3Schema, path)) {
      throw new Error(`${loaded.file}: type plan names ${path}, which is not in the schema`);
    }
  }
  const body = await compile(schema, kind, compileOptions);
  const imports = ["import type { V1ObjectMeta } from '@kubernetes/client-node';"];
  if (conv.usedCommon.size > 0) {
    imports.push(`import type { ${[...conv.usedCommon].sort().join(', ')} } from './common.ts';`);
  }
  return {
    path: `src/api/generated/${plan.file}`,
    content: `${banner(loaded.file)}\n${imports.join('\n')}\n\n${body}`,
  };
}

function hasPath(root: SchemaNode, path: string): boolean {
  if (path === '') return true;
  let node: SchemaNode | undefined = root;
  for (const raw of path.split('.')) {
    let seg = raw;
    let items = 0;
    while (seg.endsWith('[]')) {
      seg = seg.slice(0, -2);
      items++;
    }
    if (seg === '*') {
      node = typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined;
    } else {
      node = node?.properties?.[seg];
    }
    for (let i = 0; i < items; i++) node = node?.items;
    if (node === undefined) return false;
  }
  return true;
}

function generateIndex(files: GeneratedFile[]): GeneratedFile {
  const lines = files.map((f) => `export type * from './${f.path.split('/').pop()}';`).sort();
  return { path: 'src/api/generated/index.ts', content: `${banner('crds/*.yaml')}\n${lines.join('\n')}\n` };
}

/** All generated TypeScript files (unformatted), in a stable order. */
export async function generateTypeScript(crds: LoadedCrd[]): Promise<GeneratedFile[]> {
  const files = [await generateCommon(crds)];
  for (const loaded of crds) files.push(await generateKind(loaded));
  files.push(generateIndex(files));
  return files;
}
