// The objects a VirtualMCPServer needs, rendered as server-side-apply bodies: ServiceAccount, Role and RoleBinding
// (see vmcp-rbac.ts), the ConfigMap holding the gateway config, the gateway Deployment and its Service. Every object
// is owned by the VirtualMCPServer (deleting it deletes them) and stamped with a hash of its own content, so an
// unchanged object is never re-applied. Secret values never appear here: Secrets are mounted as files
// (secret-volumes.ts) that the gateway re-reads when they change, except the session store's password and OTLP
// headers from Secrets, which the pod gets as secretKeyRef environment variables (session-storage.ts,
// telemetry-env.ts). The session store's client certificate is a mounted file the gateway watches; the pod checksum
// also covers its certificate's digest, so a renewal rolls the pods.
import { createHash } from 'node:crypto';
import { controllerReference, type KubeObject, type OwnerReference } from '../endpoint/model.ts';
import { APPLIED_HASH_ANNOTATION } from '../endpoint/proxy-names.ts';
import { gatewayContainerChecks } from '../gateway-container.ts';
import { secretMounts, secretReadingPodSecurity } from '../secret-volumes.ts';
import { otelEnv, type PodEnvVar } from '../telemetry-env.ts';
import { configChecksum } from './checksum.ts';
import type { RenderedConfig } from './config.ts';
import type { VirtualMCPServer, VmcpOwnedKind } from './model.ts';
import {
  CONFIG_CHECKSUM_ANNOTATION,
  CONFIG_KEY,
  CONFIG_MOUNT_DIR,
  CONFIG_PATH,
  GATEWAY_PORT,
  VmcpEnv,
  vmcpManagedLabels,
  vmcpNames,
  vmcpSelectorLabels,
} from './names.ts';
import { gatewayRules } from './rbac.ts';
import { sessionStorageCaMount, sessionStorageEnv, sessionStorageSecretFiles } from './session-storage.ts';

export interface VmcpSettings {
  /** The mcpre image the gateway runs unless spec.image overrides it. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export interface VmcpManifest extends KubeObject {
  apiVersion: string;
  kind: VmcpOwnedKind;
  [field: string]: unknown;
}

export function vmcpOwnerReference(vmcp: VirtualMCPServer): OwnerReference {
  return controllerReference('VirtualMCPServer', vmcp);
}

/** In apply order: the ServiceAccount and its rights before the pods that use them, the config before the pods. */
export function renderVmcpObjects(
  vmcp: VirtualMCPServer,
  rendered: RenderedConfig,
  replicas: number,
  settings: VmcpSettings,
): VmcpManifest[] {
  const names = vmcpNames(vmcp.metadata.name);
  const meta = (name: string) => ({
    name,
    namespace: vmcp.metadata.namespace ?? '',
    labels: vmcpManagedLabels(vmcp.metadata.name),
    ownerReferences: [vmcpOwnerReference(vmcp)],
  });
  const objects: VmcpManifest[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.name) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(names.name),
      rules: gatewayRules(
        rendered.mode,
        vmcp.metadata.name,
        rendered.storage.provider === 'memory' ? names.lease : undefined,
      ),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(names.name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.name },
      subjects: [{ kind: 'ServiceAccount', name: names.name, namespace: vmcp.metadata.namespace ?? '' }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.configMap), data: { [CONFIG_KEY]: rendered.yaml } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(names.name),
      spec: deploymentSpec(vmcp, rendered, replicas, settings),
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.name),
      spec: {
        type: vmcp.spec.serviceType ?? 'ClusterIP',
        selector: vmcpSelectorLabels(vmcp.metadata.name),
        ports: [{ name: 'http', port: GATEWAY_PORT, targetPort: 'http', protocol: 'TCP' }],
        // Client sessions live in the pod that created them.
        sessionAffinity: 'ClientIP',
      },
    },
  ];
  return objects.map(stampHash);
}

function deploymentSpec(
  vmcp: VirtualMCPServer,
  rendered: RenderedConfig,
  replicas: number,
  settings: VmcpSettings,
): Record<string, unknown> {
  const name = vmcp.metadata.name;
  const namespace = vmcp.metadata.namespace ?? '';
  const { secrets, caMounts } = rendered.backends;
  // Sorted by name, which also puts the secretKeyRef variables OTEL_EXPORTER_OTLP_HEADERS refers to before it.
  const env: PodEnvVar[] = [
    { name: VmcpEnv.name, value: name },
    { name: VmcpEnv.namespace, value: namespace },
    { name: VmcpEnv.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ...sessionStorageEnv(rendered.storage),
    ...otelEnv(vmcp.spec.telemetry, name),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const secretFiles = secretMounts([...secrets, ...sessionStorageSecretFiles(rendered.storage)]);
  const storeCa = sessionStorageCaMount(rendered.storage);
  // The endpoints' CA bundles, then the session store's: each a ConfigMap key as a file in a read-only directory.
  const caFiles = storeCa ? [...caMounts, storeCa] : caMounts;

  const volumes: Record<string, unknown>[] = [
    { name: 'config', configMap: { name: vmcpNames(name).configMap, items: [{ key: CONFIG_KEY, path: CONFIG_KEY }] } },
    ...caFiles.map((c) => ({
      name: c.volume,
      configMap: { name: c.configMap, items: [{ key: c.key, path: c.path.slice(c.dir.length + 1) }] },
    })),
    ...secretFiles.volumes,
  ];
  const mounts: Record<string, unknown>[] = [
    { name: 'config', mountPath: CONFIG_MOUNT_DIR, readOnly: true },
    ...caFiles.map((c) => ({ name: c.volume, mountPath: c.dir, readOnly: true })),
    ...secretFiles.volumeMounts,
  ];

  const args = ['gateway', '--config', CONFIG_PATH, '--address', '0.0.0.0', '--port', String(GATEWAY_PORT)];
  if (rendered.mode === 'discovered') args.push('--namespace', namespace, '--group', vmcp.spec.groupRef);

  const container: Record<string, unknown> = {
    name: 'gateway',
    image: vmcp.spec.image || settings.image,
    imagePullPolicy: settings.imagePullPolicy ?? 'IfNotPresent',
    args,
    ports: [{ name: 'http', containerPort: GATEWAY_PORT, protocol: 'TCP' }],
    env,
    volumeMounts: mounts,
    ...gatewayContainerChecks,
  };
  const resources = compactResources(vmcp.spec.resources);
  if (resources) container.resources = resources;

  return {
    replicas,
    // With the memory store a gateway reports ready only while it holds the Lease, which the old pod keeps until it
    // stops: with RollingUpdate the new pod could never become ready and the old one would never be stopped, so stop
    // first. With a shared store the sessions outlive any pod: roll one pod at a time, never below spec.replicas.
    strategy:
      rendered.storage.provider === 'redis'
        ? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }
        : { type: 'Recreate' },
    selector: { matchLabels: vmcpSelectorLabels(name) },
    template: {
      metadata: {
        labels: vmcpManagedLabels(name),
        annotations: {
          [CONFIG_CHECKSUM_ANNOTATION]: configChecksum({
            yaml: rendered.yaml,
            caMounts,
            ...(rendered.storage.provider === 'redis' && rendered.storage.ca
              ? { sessionStoreCa: rendered.storage.ca.content }
              : {}),
            ...(rendered.storage.provider === 'redis' && rendered.storage.clientCert
              ? { sessionStoreClientCert: rendered.storage.clientCert }
              : {}),
          }),
        },
      },
      spec: {
        serviceAccountName: vmcpNames(name).name,
        securityContext: {
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
          ...secretReadingPodSecurity(secretFiles),
        },
        containers: [container],
        volumes,
      },
    },
  };
}

function compactResources(resources: VirtualMCPServer['spec']['resources']): Record<string, unknown> | undefined {
  if (!resources) return undefined;
  const out = Object.fromEntries(Object.entries(resources).filter(([, v]) => v && Object.keys(v).length > 0));
  return Object.keys(out).length > 0 ? out : undefined;
}

function stampHash(m: VmcpManifest): VmcpManifest {
  const hash = createHash('sha256').update(JSON.stringify(m)).digest('hex').slice(0, 16);
  return {
    ...m,
    metadata: { ...m.metadata, annotations: { ...m.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } },
  };
}
