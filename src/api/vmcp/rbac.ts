// What the gateway's ServiceAccount may do. Always: read its own VirtualMCPServer and report backend status into it
// and onto the group's endpoints (status.session); with the memory session store, hold its Lease (a shared store needs
// none: every replica serves every backend). Discovered mode adds read-only access to what the
// gateway watches (the group, its endpoints, their auth and tool configs, ConfigMaps and Secrets); inline mode gets
// no Secret access at all: its Secrets arrive as files the kubelet mounts.
import { API_GROUP } from '../resources.ts';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** `leaseName` undefined: no Lease rules (the shared session store). */
export function gatewayRules(
  mode: 'inline' | 'discovered',
  vmcpName: string,
  leaseName: string | undefined,
): PolicyRule[] {
  const read = ['get', 'list', 'watch'];
  const lease: PolicyRule[] = leaseName
    ? [
        // create cannot be limited by name (the object does not exist yet); everything else can.
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'update'],
          resourceNames: [leaseName],
        },
      ]
    : [];
  const rules: PolicyRule[] = [
    ...lease,
    { apiGroups: [API_GROUP], resources: ['virtualmcpservers'], verbs: ['get'], resourceNames: [vmcpName] },
    {
      apiGroups: [API_GROUP],
      resources: ['virtualmcpservers/status'],
      verbs: ['get', 'patch'],
      resourceNames: [vmcpName],
    },
    { apiGroups: [API_GROUP], resources: ['mcpremoteendpoints'], verbs: mode === 'inline' ? ['get', 'list'] : read },
    { apiGroups: [API_GROUP], resources: ['mcpremoteendpoints/status'], verbs: ['patch'] },
  ];
  if (mode === 'discovered') {
    rules.push(
      { apiGroups: [API_GROUP], resources: ['mcpgroups', 'mcpexternalauthconfigs', 'mcptoolconfigs'], verbs: read },
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: read },
    );
  }
  return rules;
}
