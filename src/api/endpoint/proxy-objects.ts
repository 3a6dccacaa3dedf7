// The objects a proxy endpoint needs (ServiceAccount unless the user names one, Deployment, Service), rendered as
// server-side-apply bodies. The proxy pod runs this project's own image as a single-backend gateway:
// `mcpre gateway --proxy-mode`, configured entirely through the environment variables below and, for tracing, the
// standard OTEL_* ones (telemetry-env.ts). Secret values never appear here: every Secret the pod needs is mounted as
// files (secret-volumes.ts) that the environment names by path, and the proxy re-reads them when the kubelet updates
// them, so a rotated Secret needs no restart; OTLP headers from Secrets are secretKeyRef variables.

import { createHash } from 'node:crypto';
import { gatewayContainerChecks } from '../gateway-container.ts';
import { type SecretKeyRef, secretFilePath, secretMounts, secretReadingPodSecurity } from '../secret-volumes.ts';
import { otelEnv, type PodEnvVar } from '../telemetry-env.ts';
import { DEFAULT_CA_BUNDLE_KEY } from './ca-bundle.ts';
import {
  controllerReference,
  type Endpoint,
  type ExternalAuthConfig,
  type KubeObject,
  type OwnerReference,
} from './model.ts';
import {
  APPLIED_HASH_ANNOTATION,
  managedLabels,
  proxyNames,
  proxyServiceAccountName,
  selectorLabels,
} from './proxy-names.ts';

/** The contract between the operator and `mcpre gateway --proxy-mode`: the environment the proxy pod reads. */
export const ProxyEnv = {
  endpoint: 'MCPRE_PROXY_ENDPOINT',
  remoteURL: 'MCPRE_PROXY_REMOTE_URL',
  transport: 'MCPRE_PROXY_TRANSPORT',
  port: 'MCPRE_PROXY_PORT',
  endpointPrefix: 'MCPRE_PROXY_ENDPOINT_PREFIX',
  trustProxyHeaders: 'MCPRE_PROXY_TRUST_PROXY_HEADERS',
  /**
   * JSON of spec.proxyConfig.oidcConfig: file paths where ConfigMaps are mounted, and the inline client secret as the
   * path of its mounted Secret file (`clientSecretFile`).
   */
  oidc: 'MCPRE_PROXY_OIDC',
  /** JSON of spec.proxyConfig.authzConfig; a configMap source is mounted and named by `file`. */
  authz: 'MCPRE_PROXY_AUTHZ',
  audit: 'MCPRE_PROXY_AUDIT',
  /** JSON {plaintext: {name: value}, fromFile: {name: path}}: header values from Secrets are in mounted files. */
  headers: 'MCPRE_PROXY_HEADERS',
  caBundlePath: 'MCPRE_PROXY_CA_BUNDLE_PATH',
  /** JSON {name, type, settings}: outgoing auth to the remote, secrets replaced by the paths of their mounted files. */
  externalAuth: 'MCPRE_PROXY_EXTERNAL_AUTH',
  toolConfigRef: 'MCPRE_PROXY_TOOL_CONFIG',
} as const;

export const CA_BUNDLE_MOUNT_ROOT = '/etc/toolhive/ca-bundles';
const OIDC_MOUNT = '/etc/mcpre/oidc';
const AUTHZ_MOUNT = '/etc/mcpre/authz';
const OWNED_KINDS = ['ServiceAccount', 'Deployment', 'Service'] as const;
export type OwnedKind = (typeof OWNED_KINDS)[number];

export interface ProxySettings {
  /** The mcpre image the proxy pod runs. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export interface OwnedObjectRef {
  kind: OwnedKind;
  namespace: string;
  name: string;
}

export interface Manifest extends KubeObject {
  apiVersion: string;
  kind: OwnedKind;
  [field: string]: unknown;
}

export function ownerReference(endpoint: Endpoint): OwnerReference {
  return controllerReference('MCPRemoteEndpoint', endpoint);
}

/** Renders the desired objects, each stamped with a hash of its own content. */
export function renderProxyObjects(
  endpoint: Endpoint,
  authConfig: ExternalAuthConfig | null,
  settings: ProxySettings,
): Manifest[] {
  const out: Manifest[] = [];
  if (!endpoint.spec.proxyConfig?.serviceAccount) out.push(renderServiceAccount(endpoint));
  out.push(renderDeployment(endpoint, authConfig, settings));
  out.push(renderService(endpoint));
  return out.map(stampHash);
}

/** The hash the operator stamps on an applied object; equal hashes mean nothing to apply. */
export function appliedHash(obj: KubeObject | null | undefined): string | undefined {
  return obj?.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
}

function stampHash(m: Manifest): Manifest {
  const hash = createHash('sha256').update(JSON.stringify(m)).digest('hex').slice(0, 16);
  return {
    ...m,
    metadata: { ...m.metadata, annotations: { ...m.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } },
  };
}

function baseMeta(
  endpoint: Endpoint,
  extraLabels: Record<string, string> = {},
  annotations: Record<string, string> = {},
) {
  const name = endpoint.metadata.name;
  return {
    name: proxyNames(name).name,
    namespace: endpoint.metadata.namespace ?? '',
    // The operator's own labels win over overrides: the owned-object informers and the selector depend on them.
    labels: { ...extraLabels, ...managedLabels(name) },
    annotations: { ...annotations },
    ownerReferences: [ownerReference(endpoint)],
  };
}

function renderServiceAccount(endpoint: Endpoint): Manifest {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: baseMeta(endpoint) };
}

function renderService(endpoint: Endpoint): Manifest {
  const proxy = endpoint.spec.proxyConfig;
  const overrides = proxy?.resourceOverrides?.proxyService;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: baseMeta(endpoint, overrides?.labels, overrides?.annotations),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(endpoint.metadata.name),
      ports: [{ name: 'http', port: proxy?.proxyPort ?? 8080, targetPort: 'http', protocol: 'TCP' }],
      sessionAffinity: proxy?.sessionAffinity ?? 'ClientIP',
    },
  };
}

function renderDeployment(
  endpoint: Endpoint,
  authConfig: ExternalAuthConfig | null,
  settings: ProxySettings,
): Manifest {
  const spec = endpoint.spec;
  const proxy = spec.proxyConfig;
  const overrides = proxy?.resourceOverrides?.proxyDeployment;
  const name = endpoint.metadata.name;
  const port = proxy?.proxyPort ?? 8080;
  const env: PodEnvVar[] = [];
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  const set = (n: string, value: string) => env.push({ name: n, value });
  const secrets: SecretKeyRef[] = [];
  /** Mount the Secret key and name its file. */
  const secretFile = (ref: SecretKeyRef): string => {
    secrets.push({ name: ref.name, key: ref.key });
    return secretFilePath(ref);
  };

  set(ProxyEnv.endpoint, `${endpoint.metadata.namespace}/${name}`);
  set(ProxyEnv.remoteURL, spec.remoteURL);
  set(ProxyEnv.transport, spec.transport);
  set(ProxyEnv.port, String(port));
  set(ProxyEnv.trustProxyHeaders, String(proxy?.trustProxyHeaders ?? false));
  if (proxy?.endpointPrefix) set(ProxyEnv.endpointPrefix, proxy.endpointPrefix);

  if (proxy?.oidcConfig) {
    const { inline, configMap, ...rest } = proxy.oidcConfig;
    const oidc: Record<string, unknown> = { ...rest };
    if (inline) {
      const { clientSecretRef, ...fields } = inline;
      oidc.inline = clientSecretRef ? { ...fields, clientSecretFile: secretFile(clientSecretRef) } : fields;
    }
    if (configMap) {
      const key = configMap.key || 'oidc.json';
      oidc.configMap = { ...configMap, file: `${OIDC_MOUNT}/${key}` };
      volumes.push({ name: 'oidc-config', configMap: { name: configMap.name, items: [{ key, path: key }] } });
      mounts.push({ name: 'oidc-config', mountPath: OIDC_MOUNT, readOnly: true });
    }
    set(ProxyEnv.oidc, JSON.stringify(oidc));
  }
  if (proxy?.authzConfig) {
    const authz: Record<string, unknown> = { ...proxy.authzConfig };
    const cm = proxy.authzConfig.configMap;
    if (proxy.authzConfig.type === 'configMap' && cm) {
      const key = cm.key || 'authz.json';
      authz.configMap = { ...cm, file: `${AUTHZ_MOUNT}/${key}` };
      volumes.push({ name: 'authz-config', configMap: { name: cm.name, items: [{ key, path: key }] } });
      mounts.push({ name: 'authz-config', mountPath: AUTHZ_MOUNT, readOnly: true });
    }
    set(ProxyEnv.authz, JSON.stringify(authz));
  }
  if (proxy?.audit) set(ProxyEnv.audit, JSON.stringify(proxy.audit));
  env.push(...otelEnv(proxy?.telemetry, name));

  const fromFile: Record<string, string> = {};
  for (const h of spec.headerForward?.addHeadersFromSecret ?? []) fromFile[h.headerName] = secretFile(h.valueSecretRef);
  const plaintext = spec.headerForward?.addPlaintextHeaders ?? {};
  if (Object.keys(plaintext).length || Object.keys(fromFile).length) {
    set(ProxyEnv.headers, JSON.stringify({ plaintext, fromFile }));
  }

  if (spec.caBundleRef?.name) {
    const key = spec.caBundleRef.key || DEFAULT_CA_BUNDLE_KEY;
    const dir = `${CA_BUNDLE_MOUNT_ROOT}/${name}`;
    volumes.push({ name: 'ca-bundle', configMap: { name: spec.caBundleRef.name, items: [{ key, path: key }] } });
    mounts.push({ name: 'ca-bundle', mountPath: dir, readOnly: true });
    set(ProxyEnv.caBundlePath, `${dir}/${key}`);
  }

  if (spec.externalAuthConfigRef?.name && authConfig) {
    set(ProxyEnv.externalAuth, JSON.stringify(externalAuthForPod(authConfig, secretFile)));
  }
  if (spec.toolConfigRef?.name) set(ProxyEnv.toolConfigRef, spec.toolConfigRef.name);

  // Overrides come last and win by name: an explicit override is the user's decision. Sorted by name, which also
  // puts the secretKeyRef variables OTEL_EXPORTER_OTLP_HEADERS refers to before it.
  const merged = new Map(env.map((e) => [e.name, e]));
  for (const e of overrides?.env ?? []) merged.set(e.name, { name: e.name, value: e.value });
  const sortedEnv = [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));

  const podLabels = { ...overrides?.podTemplateMetadataOverrides?.labels, ...managedLabels(name) };
  const resources = proxy?.resources
    ? Object.fromEntries(Object.entries(proxy.resources).filter(([, v]) => v && Object.keys(v).length))
    : undefined;

  const container: Record<string, unknown> = {
    name: 'proxy',
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy ?? 'IfNotPresent',
    args: ['gateway', '--proxy-mode', ...(overrides?.args ?? [])],
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: sortedEnv,
    ...gatewayContainerChecks,
  };
  if (resources && Object.keys(resources).length) container.resources = resources;
  const secretFiles = secretMounts(secrets);
  volumes.push(...secretFiles.volumes);
  mounts.push(...secretFiles.volumeMounts);
  if (mounts.length) container.volumeMounts = mounts;

  const podSpec: Record<string, unknown> = {
    serviceAccountName: proxyServiceAccountName(endpoint),
    securityContext: {
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      ...secretReadingPodSecurity(secretFiles),
    },
    containers: [container],
  };
  if (volumes.length) podSpec.volumes = volumes;

  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: baseMeta(endpoint, overrides?.labels, overrides?.annotations),
    spec: {
      replicas: 1,
      selector: { matchLabels: selectorLabels(name) },
      template: {
        metadata: { labels: podLabels, annotations: { ...overrides?.podTemplateMetadataOverrides?.annotations } },
        spec: podSpec,
      },
    },
  };
}

/** The outgoing-auth settings the proxy pod needs, with every secret reference replaced by its mounted file. */
function externalAuthForPod(
  auth: ExternalAuthConfig,
  secretFile: (ref: SecretKeyRef) => string,
): Record<string, unknown> {
  const { type } = auth.spec;
  const name = auth.metadata.name;
  if (type === 'headerInjection' && auth.spec.headerInjection) {
    const { headerName, valueSecretRef } = auth.spec.headerInjection;
    return { name, type, headerName, valueFile: secretFile(valueSecretRef) };
  }
  if (type === 'tokenExchange' && auth.spec.tokenExchange) {
    const { clientSecretRef, ...rest } = auth.spec.tokenExchange;
    return clientSecretRef
      ? { name, type, ...rest, clientSecretFile: secretFile(clientSecretRef) }
      : { name, type, ...rest };
  }
  // embeddedAuthServer and awsSts carry only references (no inline secret values); the pod receives them as-is.
  const settings = (auth.spec as unknown as Record<string, unknown>)[type];
  return settings === undefined ? { name, type } : { name, type, settings };
}
