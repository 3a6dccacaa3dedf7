// Group/version/plural/kind of every custom resource mcpre serves or reads. The CRD YAML in crds/ is the source of
// truth; test/unit/api/resources.test.ts fails when these constants drift from it.

export const API_GROUP = 'toolhive.stacklok.dev';
export const API_VERSION = 'v1alpha1';
/** The apiVersion field value of every mcpre custom resource. */
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;

export interface ResourceId {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
}

function resource<K extends string>(kind: K, plural: string): ResourceId & { readonly kind: K } {
  return { group: API_GROUP, version: API_VERSION, plural, kind };
}

export const MCP_REMOTE_ENDPOINT = resource('MCPRemoteEndpoint', 'mcpremoteendpoints');
export const MCP_GROUP = resource('MCPGroup', 'mcpgroups');
export const MCP_EXTERNAL_AUTH_CONFIG = resource('MCPExternalAuthConfig', 'mcpexternalauthconfigs');
export const MCP_TOOL_CONFIG = resource('MCPToolConfig', 'mcptoolconfigs');
export const VIRTUAL_MCP_SERVER = resource('VirtualMCPServer', 'virtualmcpservers');

/**
 * ToolHive kinds that mcpre does not serve but looks for: an object of the same name blocks an MCPRemoteEndpoint
 * (NameCollision). Their CRDs may be absent; callers must treat a 404 on the resource as "not installed".
 */
export const TOOLHIVE_MCP_SERVER = resource('MCPServer', 'mcpservers');
export const TOOLHIVE_MCP_REMOTE_PROXY = resource('MCPRemoteProxy', 'mcpremoteproxies');
/** Deprecated ToolHive kind that only gets a deprecation warning; its served version is discovered at run time. */
export const TOOLHIVE_MCP_SERVER_ENTRY = resource('MCPServerEntry', 'mcpserverentries');

/** Every resource whose CRD lives in crds/. */
export const SERVED_RESOURCES: readonly ResourceId[] = [
  MCP_REMOTE_ENDPOINT,
  MCP_GROUP,
  MCP_EXTERNAL_AUTH_CONFIG,
  MCP_TOOL_CONFIG,
  VIRTUAL_MCP_SERVER,
];
