// A VirtualMCPServer is planned on every wake-up, and most wake-ups (its own rollout, a status write, a member's
// change in its group that the plan does not read) leave every input of its config render as it was. The render is a
// function of the parts of the snapshot listed here (what renderGatewayConfig and staticBackends read; for members,
// what memberChangeMatters in snapshot.ts names), and cached objects are replaced when they change, never changed in
// place (the simulator's API server freezes them to make sure), so when each part is the very value of the last
// render of this VirtualMCPServer, that render's result is the answer. Results are shared: callers treat them as
// read-only. Bounded by owners, least recently used first out.
import { MEMO_OWNERS } from './backends.ts';
import { type RenderResult, renderGatewayConfig } from './config.ts';
import { CONFIG_KEY } from './names.ts';
import type { SessionStorage } from './session-storage.ts';
import type { VmcpSnapshot } from './snapshot.ts';

const last = new Map<string, { inputs: unknown[]; result: RenderResult }>();

/** `storage` is read from the VirtualMCPServer's spec, the Secrets and the ConfigMaps, all among the compared inputs. */
export function renderGatewayConfigMemo(snapshot: VmcpSnapshot, storage: SessionStorage): RenderResult {
  const vmcp = snapshot.vmcp;
  if (!vmcp) return renderGatewayConfig(snapshot, storage);
  const owner = `${vmcp.metadata.namespace}/${vmcp.metadata.name}`;
  const inputs = renderInputs(snapshot);
  const known = last.get(owner);
  last.delete(owner);
  const result = known && sameInputs(known.inputs, inputs) ? known.result : renderGatewayConfig(snapshot, storage);
  last.set(owner, { inputs, result });
  if (last.size > MEMO_OWNERS) last.delete(last.keys().next().value as string);
  return result;
}

/** Everything the render reads, as values compared with ===, in a fixed order (the lengths keep the parts apart). */
function renderInputs(s: VmcpSnapshot): unknown[] {
  const vmcp = s.vmcp;
  const inputs: unknown[] = [
    vmcp?.metadata.namespace,
    vmcp?.metadata.name,
    vmcp?.spec,
    (s.owned.ConfigMap as { data?: Record<string, string> } | null)?.data?.[CONFIG_KEY],
    s.endpoints.length,
  ];
  for (const e of s.endpoints) {
    inputs.push(e.metadata.name, e.metadata.deletionTimestamp, e.spec, e.status?.url, e.status?.phase === 'Failed');
  }
  for (const byName of [s.authConfigs, s.toolConfigs, s.configMaps, s.secrets]) {
    const names = Object.keys(byName);
    inputs.push(names.length);
    for (const name of names) inputs.push(name, byName[name]);
  }
  return inputs;
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
