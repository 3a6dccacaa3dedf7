// What must hold for VirtualMCPServers once the simulated cluster has settled: GroupNotFound only when the group is
// really missing, one whose group exists ends up Ready, and a Ready one serves its own group
// through objects it owns, its gateway config lists only endpoints of that group (inline mode: every member, when
// its status says all backends are configured), and the pods run the config the ConfigMap holds.
import { parse } from 'yaml';
import type { VirtualMCPServer } from '../api/vmcp/model.ts';
import { CONFIG_CHECKSUM_ANNOTATION, CONFIG_KEY, vmcpNames, vmcpServiceURL } from '../api/vmcp/names.ts';
import type { FakeApiServer, KubeObject } from './fake-apiserver.ts';
import type { Violation } from './invariants.ts';
import { NS, R } from './scenario.ts';

interface Cond {
  type: string;
  status: string;
  reason?: string;
}

const condition = (o: KubeObject, type: string) =>
  (o.status as { conditions?: Cond[] } | undefined)?.conditions?.find((c) => c.type === type);

export const vmcpReady = (v: KubeObject) => condition(v, 'Ready')?.status === 'True';

export function checkReadyVmcps(api: FakeApiServer, image: string): Violation[] {
  const out: Violation[] = [];
  const endpoints = api.peekAll(R.endpoint) as (KubeObject & { spec: { groupRef: string } })[];
  for (const raw of api.peekAll(R.vmcp)) {
    const v = raw as unknown as VirtualMCPServer;
    if (v.metadata.deletionTimestamp) continue;
    const name = v.metadata.name;
    const bad = (invariant: string, why: string) => out.push({ invariant, detail: `${name}: ${why}` });
    const group = api.peek(R.group, NS, v.spec.groupRef);
    if (condition(raw, 'GroupRefValid')?.reason === 'GroupNotFound' && group && !group.metadata.deletionTimestamp)
      bad('vmcpGroupStatusIsTrue', `says group ${v.spec.groupRef} is missing, but it exists`);
    // Every simulated Deployment becomes available: with its group there, a gateway must end up serving it.
    if (!vmcpReady(raw) && group && !group.metadata.deletionTimestamp) {
      const r = condition(raw, 'Ready');
      bad('vmcpWithGroupSettlesReady', `not Ready after quiet time (${r?.reason ?? 'no Ready condition'})`);
    }
    if (!vmcpReady(raw)) continue;
    if (!group || group.metadata.deletionTimestamp) bad('readyVmcpHasItsGroup', `group ${v.spec.groupRef} is gone`);
    if (v.status?.url !== vmcpServiceURL(v)) bad('readyVmcpUrl', `status.url ${v.status?.url}`);
    const names = vmcpNames(name);
    const owned = (resource: string, objName: string) => {
      const o = api.peek(resource, NS, objName);
      const mine = o?.metadata.ownerReferences?.some((r) => r.uid === v.metadata.uid);
      if (!mine) bad('readyVmcpOwnsItsObjects', `${resource} ${objName} ${o ? 'is not owned by it' : 'is missing'}`);
      return mine ? o : undefined;
    };
    const cm = owned(R.configMap, names.configMap) as (KubeObject & { data?: Record<string, string> }) | undefined;
    const deployment = owned(R.deployment, names.name);
    for (const [resource, n] of [
      [R.service, names.name],
      [R.serviceAccount, names.name],
      [R.role, names.name],
      [R.roleBinding, names.name],
    ] as const)
      owned(resource, n);
    if (!cm || !deployment) continue;

    const config = parse(cm.data?.[CONFIG_KEY] ?? '') as { backends?: { name: string }[] } | null;
    const members = endpoints
      .filter((e) => e.spec.groupRef === v.spec.groupRef && !e.metadata.deletionTimestamp)
      .map((e) => e.metadata.name)
      .sort();
    const listed = (config?.backends ?? []).map((b) => b.name).sort();
    const strangers = listed.filter((b) => !members.includes(b));
    if (strangers.length) bad('vmcpConfigListsItsGroup', `backends ${strangers} are not in group ${v.spec.groupRef}`);
    const inline = (v.spec.outgoingAuth?.source ?? 'inline') === 'inline';
    if (!inline && listed.length) bad('vmcpConfigListsItsGroup', `discovered mode lists backends ${listed}`);
    const allConfigured = condition(raw, 'BackendsConfigured')?.status === 'True';
    if (inline && allConfigured && JSON.stringify(listed) !== JSON.stringify(members))
      bad('vmcpStatusReflectsBackends', `all backends configured, but config lists ${listed} of ${members}`);
    if (inline && !allConfigured && listed.length === members.length)
      bad('vmcpStatusReflectsBackends', `BackendsConfigured is not True although every member (${members}) is listed`);

    const template = (deployment.spec as { template?: { metadata?: { annotations?: Record<string, string> } } })
      ?.template;
    const containers = (deployment.spec as { template?: { spec?: { containers?: { image?: string }[] } } })?.template
      ?.spec?.containers;
    if (!template?.metadata?.annotations?.[CONFIG_CHECKSUM_ANNOTATION])
      bad('vmcpDeploymentMatchesSpec', 'the pod template has no config checksum');
    const want = v.spec.image ?? image;
    if (containers?.[0]?.image !== want) bad('vmcpDeploymentMatchesSpec', `image ${containers?.[0]?.image} != ${want}`);
  }
  return out;
}
