// The MCPRemoteEndpoint CRD as an older release shipped it (remoteURL checked only by `pattern: ^https?://`, no URL
// rule anywhere) and as it is today, installed over each other on a running control plane. Tests use the older one
// to store objects today's CRD would refuse, because a cluster that upgraded keeps such objects in etcd.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { MCP_REMOTE_ENDPOINT } from '../../src/api/resources.ts';
import { installCrds } from '../../src/control-plane/crd-install.ts';
import { type ControlPlane, REPO_ROOT } from './control-plane.ts';
import { eventually } from './eventually.ts';
import { KubeApiError, type KubeObjects } from './kube-objects.ts';

const CRD_FILE = 'crds/toolhive.stacklok.dev_mcpremoteendpoints.yaml';
/** A URL the older CRD admits and today's refuses: which one is in force shows in a dry-run create. */
const TELLTALE = 'http://[::1';

interface SchemaNode {
  properties: Record<string, SchemaNode>;
  pattern?: string;
  'x-kubernetes-validations'?: unknown;
}

interface CrdDoc {
  spec: { versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> };
}

export interface EndpointCrdVersions {
  installOlder(): Promise<void>;
  installCurrent(): Promise<void>;
  close(): Promise<void>;
}

export async function endpointCrdVersions(
  cp: ControlPlane,
  kube: KubeObjects,
  namespace: string,
): Promise<EndpointCrdVersions> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpre-crd-versions-'));

  const admitsTelltale = async () => {
    const probe = {
      apiVersion: 'toolhive.stacklok.dev/v1alpha1',
      kind: 'MCPRemoteEndpoint',
      metadata: { name: 'crd-version-probe' },
      spec: { type: 'direct', remoteURL: TELLTALE, transport: 'streamable-http', groupRef: 'probe' },
    };
    try {
      await kube.create(MCP_REMOTE_ENDPOINT, namespace, probe, { dryRun: true });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 422) return false;
      throw err;
    }
  };

  async function install(label: string, edit: (crd: CrdDoc) => void, older: boolean): Promise<void> {
    const crd = parse(await readFile(join(REPO_ROOT, CRD_FILE), 'utf8')) as CrdDoc;
    edit(crd);
    const crdDir = join(dir, label);
    await mkdir(crdDir, { recursive: true });
    await writeFile(join(crdDir, 'crd.yaml'), stringify(crd));
    await installCrds(cp.running.admin, [crdDir]);
    // The API server rebuilds a CRD's validators shortly after the update: wait until the new schema is the one used.
    await eventually(`the ${label} MCPRemoteEndpoint schema to be in force`, async () =>
      (await admitsTelltale()) === older ? true : undefined,
    );
  }

  return {
    installOlder: () =>
      install(
        'older',
        (crd) => {
          const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
          const remoteURL = schema.properties.spec!.properties.remoteURL!;
          delete remoteURL['x-kubernetes-validations'];
          remoteURL.pattern = '^https?://';
          delete schema.properties.status!.properties.url!['x-kubernetes-validations'];
        },
        true,
      ),
    installCurrent: () => install('current', () => {}, false),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
