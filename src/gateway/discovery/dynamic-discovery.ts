// Dynamic mode (`mcpre gateway --group G --namespace NS`): informers (the operator's Reflector) over the namespace's
// MCPRemoteEndpoints and everything they reference; any change recomputes the group's backends (coalesced) and applies
// them to the gateway, so a rotated Secret, a new CA bundle or a proxy becoming available takes effect without a
// restart. Secret values stay in this process's memory only; they are never logged.
import type { Logger } from 'pino';
import { Resources, type ResourceType } from '../../actors/kube/kube-api.ts';
import type { ConfigMap, Endpoint, ExternalAuthConfig, KubeObject } from '../../api/endpoint/model.ts';
import { MCP_TOOL_CONFIG } from '../../api/resources.ts';
import type { KubeHttp } from '../../runtime/kube/kube-http.ts';
import { Reflector } from '../../runtime/kube/reflector.ts';
import { childLogger } from '../../runtime/logging.ts';
import { systemRng } from '../../runtime/random.ts';
import type { DesiredBackend } from '../backend-set.ts';
import { groupBackends, type SecretObject, type ToolConfigObject } from './group-backends.ts';

export interface DynamicDiscoveryOptions {
  api: KubeHttp;
  namespace: string;
  group: string;
  apply: (desired: readonly DesiredBackend[]) => Promise<void>;
  logger: Logger;
  /** Wait for more changes before recomputing. */
  coalesceMs?: number;
}

export interface DynamicDiscovery {
  /** Resolves after the first full apply. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

const toolConfigResource: ResourceType = { ...MCP_TOOL_CONFIG };

export function startDynamicDiscovery(opts: DynamicDiscoveryOptions): DynamicDiscovery {
  const { api, namespace } = opts;
  const logger = childLogger(opts.logger, { component: 'discovery' });
  const rng = systemRng();
  let timer: NodeJS.Timeout | undefined;
  let applying: Promise<void> = Promise.resolve();
  let started = false;
  let previous = new Map<string, DesiredBackend>();
  const log = (level: 'debug' | 'info' | 'warn', msg: string, fields?: Record<string, unknown>) =>
    logger[level](fields ?? {}, msg);

  const schedule = () => {
    if (!started || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      applying = applying.then(recompute, recompute);
    }, opts.coalesceMs ?? 50);
  };
  const reflector = <T extends KubeObject>(resource: ResourceType) =>
    new Reflector<T>({ api, resource, namespace, rng, onChange: schedule, log });

  const endpoints = reflector<Endpoint>(Resources.endpoint);
  const authConfigs = reflector<ExternalAuthConfig>(Resources.authConfig);
  const secrets = reflector<SecretObject>(Resources.secret);
  const configMaps = reflector<ConfigMap>(Resources.configMap);
  const toolConfigs = reflector<ToolConfigObject>(toolConfigResource);
  const all = [endpoints, authConfigs, secrets, configMaps, toolConfigs];

  // Never rejects: a recompute that fails is logged and the next change tries again; the chain of recomputes and the
  // process outlive any one bad object.
  async function recompute(): Promise<void> {
    try {
      await applyGroup();
    } catch (err) {
      logger.error(
        { err: err instanceof Error ? err.message : String(err), group: opts.group, component: 'discovery' },
        'applying the group backends failed; the next change retries',
      );
    }
  }

  async function applyGroup(): Promise<void> {
    const desired = groupBackends(
      {
        group: opts.group,
        namespace,
        endpoints: endpoints.store.values(),
        authConfig: (name) => authConfigs.store.get(namespace, name),
        secret: (name) => secrets.store.get(namespace, name),
        configMap: (name) => configMaps.store.get(namespace, name),
        toolConfig: (name) => toolConfigs.store.get(namespace, name),
      },
      previous,
    );
    previous = new Map(desired.map((d) => [d.name, d]));
    logger.debug(
      { group: opts.group, backends: desired.map((d) => ({ name: d.name, ok: d.result.ok })) },
      'group backends recomputed',
    );
    await opts.apply(desired);
  }

  const synced = (async () => {
    await Promise.all(all.map((r) => r.start()));
    started = true;
    applying = recompute();
    await applying;
    logger.info({ group: opts.group, namespace }, 'dynamic discovery synced');
  })();

  return {
    synced,
    stop: async () => {
      started = false;
      clearTimeout(timer);
      await Promise.allSettled(all.map((r) => r.stop()));
      await applying.catch(() => {});
    },
  };
}
