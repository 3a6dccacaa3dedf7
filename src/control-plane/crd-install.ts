// Installs CustomResourceDefinitions from YAML files and waits until each is Established and its resources are
// listed by discovery: only then does a create of a custom resource succeed.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type AdminClient, pollUntil } from './admin-client.ts';

interface CrdDoc {
  kind?: string;
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { group: string; names: { plural: string }; versions: { name: string; served: boolean }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export async function readCrdDocs(dirs: string[]): Promise<CrdDoc[]> {
  const docs: CrdDoc[] = [];
  for (const dir of dirs) {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
    for (const file of files) {
      for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
        if (doc.errors.length) throw new Error(`${join(dir, file)}: ${doc.errors[0]?.message}`);
        const value = doc.toJS() as CrdDoc | null;
        if (value?.kind === 'CustomResourceDefinition') docs.push(value);
      }
    }
  }
  return docs;
}

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export async function installCrds(client: AdminClient, dirs: string[], timeoutMs = 30_000): Promise<string[]> {
  const docs = await readCrdDocs(dirs);
  for (const doc of docs) {
    const name = doc.metadata?.name ?? '(unnamed)';
    let res = await client.request('POST', CRD_PATH, doc);
    if (res.status === 409) {
      const current = await client.request('GET', `${CRD_PATH}/${name}`);
      const rv = (current.json as CrdDoc).metadata?.resourceVersion;
      res = await client.request('PUT', `${CRD_PATH}/${name}`, {
        ...doc,
        metadata: { ...doc.metadata, resourceVersion: rv },
      });
    }
    if (res.status >= 300)
      throw new Error(`installing CRD ${name} failed: HTTP ${res.status} ${res.text.slice(0, 2000)}`);
  }
  for (const doc of docs) {
    const name = doc.metadata?.name ?? '';
    await pollUntil(
      `CRD ${name} to be Established`,
      async () => {
        const res = await client.request('GET', `${CRD_PATH}/${name}`);
        return !!(res.json as CrdDoc).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { timeoutMs, intervalMs: 100 },
    );
    const spec = doc.spec!;
    for (const version of spec.versions.filter((v) => v.served)) {
      await pollUntil(
        `discovery to list ${spec.names.plural}.${spec.group}/${version.name}`,
        async () => {
          const res = await client.request('GET', `/apis/${spec.group}/${version.name}`);
          const resources = (res.json as { resources?: { name: string }[] } | undefined)?.resources ?? [];
          return resources.some((r) => r.name === spec.names.plural);
        },
        { timeoutMs, intervalMs: 100 },
      );
    }
  }
  return docs.map((d) => d.metadata?.name ?? '');
}
