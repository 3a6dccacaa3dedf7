// Names, labels and paths of everything the operator creates for a VirtualMCPServer, and the backend names the
// gateway uses for the group's endpoints. Object names and label values must be 63-character DNS labels while
// resource names may be 253-character subdomains with dots, so names are derived deterministically and shortened
// with a hash of the original when needed (two distinct originals never share a name).
import { createHash } from 'node:crypto';
import {
  COMPONENT_LABEL,
  INSTANCE_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  NAME_LABEL,
} from '../endpoint/proxy-names.ts';
import { CA_BUNDLE_MOUNT_ROOT } from '../endpoint/proxy-objects.ts';
import type { VirtualMCPServer } from './model.ts';

/** The name label's value on a VirtualMCPServer's objects; the label keys are the recommended ones the proxy's use. */
export const VMCP_NAME_VALUE = 'mcpre-vmcp';
/** Selector of the objects this controller owns (its informers watch only these). */
export const VMCP_OWNED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${NAME_LABEL}=${VMCP_NAME_VALUE}`;

/** Pod template annotation: a hash of everything the gateway reads at startup, so pods roll only on a real change. */
export const CONFIG_CHECKSUM_ANNOTATION = 'mcpre.toolhive.stacklok.dev/config-checksum';
/** Port of the gateway container and its Service (ToolHive's vMCP port). */
export const GATEWAY_PORT = 4483;
export const CONFIG_MOUNT_DIR = '/etc/mcpre/vmcp';
export const CONFIG_KEY = 'config.yaml';
export const CONFIG_PATH = `${CONFIG_MOUNT_DIR}/${CONFIG_KEY}`;
/** The file name every CA bundle is mounted under (THV-0067: /etc/toolhive/ca-bundles/<endpoint-name>/ca.crt). */
export const CA_BUNDLE_FILE = 'ca.crt';

/** Where the session store's CA bundle (spec.sessionStorage.caBundleRef) is mounted, and its volume's name. */
export const SESSION_STORE_CA = {
  volume: 'session-store-ca',
  dir: '/etc/mcpre/session-store-ca',
  path: `/etc/mcpre/session-store-ca/${CA_BUNDLE_FILE}`,
} as const;

/** Environment the operator sets on the gateway container so the gateway can report status and name itself. */
export const VmcpEnv = {
  name: 'MCPRE_VMCP_NAME',
  namespace: 'MCPRE_VMCP_NAMESPACE',
  podName: 'POD_NAME',
} as const;

const MAX_LABEL = 63;

export interface VmcpNames {
  /** ServiceAccount, Role, RoleBinding, Deployment and Service share this name. */
  name: string;
  configMap: string;
  /** The coordination.k8s.io Lease the gateway replicas hold (single active replica for direct backends). */
  lease: string;
  /** Value of the instance label (and so of the pod selector). */
  instance: string;
}

export function vmcpNames(vmcpName: string): VmcpNames {
  const name = toDnsLabel(`vmcp-${vmcpName}`, vmcpName);
  return {
    name,
    configMap: toDnsLabel(`vmcp-${vmcpName}-config`, `${vmcpName}/config`),
    lease: name,
    instance: toDnsLabel(vmcpName, vmcpName),
  };
}

export function vmcpSelectorLabels(vmcpName: string): Record<string, string> {
  return { [NAME_LABEL]: VMCP_NAME_VALUE, [INSTANCE_LABEL]: vmcpNames(vmcpName).instance };
}

export function vmcpManagedLabels(vmcpName: string): Record<string, string> {
  return {
    ...vmcpSelectorLabels(vmcpName),
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [COMPONENT_LABEL]: 'gateway',
  };
}

/** The cluster-internal URL of the gateway's MCP endpoint (status.url once the Deployment is ready). */
export function vmcpServiceURL(vmcp: VirtualMCPServer): string {
  return `http://${vmcpNames(vmcp.metadata.name).name}.${vmcp.metadata.namespace}.svc.cluster.local:${GATEWAY_PORT}/mcp`;
}

/**
 * The gateway's name for an endpoint's backend (a DNS label: tool prefixes, audit lines, the config's `name`). The
 * endpoint name itself when it already is one, so `kubectl get mcpre` names and tool prefixes match.
 */
export function backendName(endpointName: string): string {
  return toDnsLabel(endpointName, endpointName);
}

/** Where an endpoint's CA bundle is mounted in the gateway pod, and the file the config points at. */
export function caBundleMount(endpointName: string): { volume: string; dir: string; path: string } {
  const dir = `${CA_BUNDLE_MOUNT_ROOT}/${endpointName}`;
  return { volume: toDnsLabel(`ca-bundle-${endpointName}`, endpointName), dir, path: `${dir}/${CA_BUNDLE_FILE}` };
}

/** A DNS-1123 label: lower case, dots and other characters become dashes; a hash of the original keeps it unique. */
export function toDnsLabel(candidate: string, original: string): string {
  const label = candidate
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+/, '');
  if (label === candidate && label.length <= MAX_LABEL && /[a-z0-9]$/.test(label)) return label;
  const hash = createHash('sha256').update(original).digest('hex').slice(0, 8);
  const head = label.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}
