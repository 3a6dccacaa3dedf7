// Every Kubernetes permission `mcpre operator` needs, declared once, next to the resource constants the code calls
// with. scripts/generate/rbac.ts renders the operator's ClusterRole (kustomize base and Helm chart) from it, and
// test/integration/deploy/rbac.test.ts runs the operator under exactly that role and checks the audit log both ways:
// nothing the code does is denied, and nothing granted goes unused (except the grants listed with a reason below).
import { Resources, type ResourceType } from '../../actors/kube/kube-api.ts';
import { VmcpResources } from '../../actors/kube/vmcp-resources.ts';
import { API_GROUP, TOOLHIVE_MCP_SERVER_ENTRY } from '../../api/resources.ts';
import { gatewayRules, type PolicyRule } from '../../api/vmcp/rbac.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** One (apiGroup, resource, verb) triple: the unit RBAC grants and the audit log records. */
export interface Grant {
  apiGroup: string;
  /** With the subresource, e.g. `mcpremoteendpoints/status`. */
  resource: string;
  verb: Verb;
}

/**
 * Server-side apply of an object that does not exist yet creates it, and the API server then also checks `create`:
 * every applied kind needs both verbs (the audit log records such a request as a `patch` answered 201 Created).
 */
const applied: Verb[] = ['create', 'patch'];

export interface Permission {
  resource: ResourceType;
  subresource?: string;
  verbs: Verb[];
  /** Which code path calls it. */
  why: string;
}

/** A ToolHive kind the operator looks for (name collisions, deprecation warnings); its CRD may be absent. */
export const DeprecatedResources = {
  mcpRemoteProxy: Resources.mcpRemoteProxy,
  mcpServerEntry: TOOLHIVE_MCP_SERVER_ENTRY,
} as const satisfies Record<string, ResourceType>;

const lease: ResourceType = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' };
const informer: Verb[] = ['list', 'watch'];

/** What the operator's own code calls, in every namespace it watches. */
export const OPERATOR_PERMISSIONS: readonly Permission[] = [
  {
    resource: Resources.endpoint,
    verbs: ['get', 'list', 'watch', 'patch'],
    why: 'informers; finalizer merge patches; a fresh read after a 409 Conflict',
  },
  { resource: Resources.endpoint, subresource: 'status', verbs: ['patch'], why: 'endpoint status' },
  { resource: Resources.group, verbs: informer, why: 'informers (group existence, membership)' },
  { resource: Resources.group, subresource: 'status', verbs: ['patch'], why: 'group membership status' },
  { resource: Resources.authConfig, verbs: informer, why: 'informers (AuthConfigValid)' },
  {
    resource: VmcpResources.toolConfig,
    verbs: informer,
    why: 'informers (ToolConfigValid); VirtualMCPServer informers',
  },
  {
    resource: VmcpResources.virtualMcpServer,
    verbs: ['get', 'list', 'watch'],
    why: 'VirtualMCPServer informers; a fresh read after a 409 Conflict',
  },
  { resource: VmcpResources.virtualMcpServer, subresource: 'status', verbs: ['patch'], why: 'VirtualMCPServer status' },
  { resource: Resources.mcpServer, verbs: informer, why: 'NameCollision with ToolHive MCPServer (CRD optional)' },
  {
    resource: DeprecatedResources.mcpRemoteProxy,
    verbs: informer,
    why: 'NameCollision and deprecation warnings (CRD optional)',
  },
  { resource: DeprecatedResources.mcpServerEntry, verbs: informer, why: 'deprecation warnings (CRD optional)' },
  {
    resource: Resources.configMap,
    verbs: ['list', 'watch', ...applied],
    why: 'CA bundles (informer); server-side apply of the gateway config',
  },
  { resource: Resources.secret, verbs: informer, why: 'informers: which keys exist (values are dropped on receipt)' },
  {
    resource: Resources.serviceAccount,
    verbs: ['list', 'watch', ...applied, 'delete'],
    why: 'proxy and gateway ServiceAccounts (server-side apply; delete by the finalizer)',
  },
  {
    resource: Resources.deployment,
    verbs: ['list', 'watch', ...applied, 'delete'],
    why: 'proxy and gateway Deployments',
  },
  {
    resource: Resources.service,
    verbs: ['list', 'watch', ...applied, 'delete'],
    why: 'proxy and gateway Services',
  },
  { resource: VmcpResources.role, verbs: ['list', 'watch', ...applied], why: 'the gateway Role (server-side apply)' },
  { resource: VmcpResources.roleBinding, verbs: ['list', 'watch', ...applied], why: 'the gateway RoleBinding' },
  {
    resource: Resources.event,
    verbs: ['create', 'get', 'patch'],
    why: 'endpoint Events; deprecation Warnings (one per object, its series bumped: read after a restart, patched)',
  },
];

/**
 * Grants the operator holds only to hand them on: it server-side applies a Role for every VirtualMCPServer gateway
 * (src/api/vmcp/rbac.ts), and Kubernetes lets a user grant only permissions it holds itself (RBAC escalation
 * prevention). Both discovery modes, with the per-object resourceNames dropped (the operator serves every name).
 */
export function gatewayGrantedRules(): PolicyRule[] {
  return [...gatewayRules('inline', '_', '_'), ...gatewayRules('discovered', '_', '_')].map(
    ({ resourceNames: _, ...rule }) => rule,
  );
}

/** Grants a short test scenario cannot be expected to use, with the reason (the RBAC test reads this). */
export const MAY_GO_UNUSED: ReadonlyArray<Grant & { why: string }> = [
  {
    apiGroup: API_GROUP,
    resource: 'mcpremoteendpoints',
    verb: 'get',
    why: 'read only after a 409 Conflict, which a test cannot provoke on demand (also granted to gateways)',
  },
  {
    apiGroup: API_GROUP,
    resource: 'virtualmcpservers',
    verb: 'get',
    why: 'read only after a 409 Conflict, which a test cannot provoke on demand (also granted to gateways)',
  },
];

function grantsOf(apiGroups: string[], resources: string[], verbs: string[]): Grant[] {
  return apiGroups.flatMap((apiGroup) =>
    resources.flatMap((resource) => verbs.map((verb) => ({ apiGroup, resource, verb: verb as Verb }))),
  );
}

export const grantKey = (g: Grant): string => `${g.apiGroup || 'core'}/${g.resource}:${g.verb}`;

/** The operator's own calls as triples. */
export function operatorGrants(): Grant[] {
  return OPERATOR_PERMISSIONS.flatMap((p) =>
    grantsOf(
      [p.resource.group],
      [p.subresource ? `${p.resource.plural}/${p.subresource}` : p.resource.plural],
      p.verbs,
    ),
  );
}

/** Triples held only to be granted on to gateways (not called by the operator itself). */
export function gatewayOnlyGrants(): Grant[] {
  const own = new Set(operatorGrants().map(grantKey));
  const seen = new Set<string>();
  return gatewayGrantedRules()
    .flatMap((r) => grantsOf(r.apiGroups, r.resources, r.verbs))
    .filter((g) => !own.has(grantKey(g)) && !seen.has(grantKey(g)) && seen.add(grantKey(g)));
}

/**
 * The ClusterRole's rules: every triple, grouped into one rule per (apiGroup, verb set), sorted so the output is
 * byte-stable.
 */
export function operatorClusterRules(): PolicyRule[] {
  const verbsByResource = new Map<string, { apiGroup: string; resource: string; verbs: Set<string> }>();
  for (const g of [...operatorGrants(), ...gatewayOnlyGrants()]) {
    const k = `${g.apiGroup}\u0000${g.resource}`;
    const entry = verbsByResource.get(k) ?? { apiGroup: g.apiGroup, resource: g.resource, verbs: new Set<string>() };
    entry.verbs.add(g.verb);
    verbsByResource.set(k, entry);
  }
  const byGroupAndVerbs = new Map<string, PolicyRule>();
  for (const { apiGroup, resource, verbs } of verbsByResource.values()) {
    const sortedVerbs = [...verbs].sort(verbOrder);
    const k = `${apiGroup}\u0000${sortedVerbs.join(',')}`;
    const rule = byGroupAndVerbs.get(k) ?? { apiGroups: [apiGroup], resources: [], verbs: sortedVerbs };
    rule.resources.push(resource);
    byGroupAndVerbs.set(k, rule);
  }
  return [...byGroupAndVerbs.values()]
    .map((r) => ({ ...r, resources: [...r.resources].sort() }))
    .sort(
      (a, b) =>
        (a.apiGroups[0] ?? '').localeCompare(b.apiGroups[0] ?? '') ||
        (a.resources[0] ?? '').localeCompare(b.resources[0] ?? ''),
    );
}

const VERB_ORDER: readonly string[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
function verbOrder(a: string, b: string): number {
  return VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b);
}

/**
 * Leader election (--leader-elect) needs the Lease in the operator's own namespace only: a Role there. (The ClusterRole
 * holds the same verbs everywhere, but only to grant them to gateways; with --namespace it is bound in the watched
 * namespace alone, which need not be the operator's.)
 */
export function leaderElectionRules(): PolicyRule[] {
  return [{ apiGroups: [lease.group], resources: [lease.plural], verbs: ['get', 'create', 'update'] }];
}

/** Every triple the ClusterRole grants (for the RBAC test). */
export function clusterRoleGrants(): Grant[] {
  return operatorClusterRules().flatMap((r) => grantsOf(r.apiGroups, r.resources, r.verbs));
}

/**
 * A gateway deployed by hand in dynamic mode (`mcpre gateway --group G`, deploy/kustomize/gateway): the same
 * discovered-mode Role the operator gives the gateways of VirtualMCPServers, less what only those do (read their
 * VirtualMCPServer, report backend status into it and onto the endpoints).
 */
export function standaloneGatewayRules(leaseName: string): PolicyRule[] {
  return gatewayRules('discovered', '_', leaseName).filter(
    (r) => !r.resources.some((res) => res.startsWith('virtualmcpservers') || res === 'mcpremoteendpoints/status'),
  );
}
