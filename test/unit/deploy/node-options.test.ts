// The operator's Node flags are set in two manifests and mirrored by the operator-ready benchmark, which measures
// the operator as deployed: the three must name the same flags, and the old space must stay half the memory limit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const repoRoot = join(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

function operatorNodeOptions(manifest: string): unknown {
  for (const doc of parseAllDocuments(manifest)) {
    const obj = doc.toJS() as {
      kind?: string;
      spec?: { template?: { spec?: { containers?: { name: string; env?: { name: string; value?: string }[] }[] } } };
    } | null;
    if (obj?.kind !== 'Deployment') continue;
    const operator = obj.spec?.template?.spec?.containers?.find((c) => c.name === 'operator');
    return operator?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
  }
  return undefined;
}

describe('operator NODE_OPTIONS', () => {
  it('are the same in the kustomize base, the Helm chart and the benchmark', () => {
    const bench = /const DEPLOYED_NODE_FLAGS = '([^']*)'/.exec(read('bench/operator-ready.bench.ts'))?.[1];
    const kustomize = operatorNodeOptions(read('deploy/kustomize/base/deployment.yaml'));
    // The chart's template lines are plain YAML except for {{ }} expressions, which the NODE_OPTIONS line has none of.
    const helm = /- name: NODE_OPTIONS\n\s+value: "([^"]*)"/.exec(
      read('deploy/helm/mcpre/templates/deployment.yaml'),
    )?.[1];
    expect(bench).toBe('--max-semi-space-size=8 --max-old-space-size=256');
    expect(kustomize).toBe(bench);
    expect(helm).toBe(bench);
  });

  it('give the old space half the memory limit, the heap Node picks itself in a container with that limit', () => {
    const limitMi = (manifest: string) => Number(/limits:\n(?:\s+#.*\n)*\s+memory: (\d+)Mi/.exec(manifest)?.[1]);
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(read('bench/operator-ready.bench.ts'))?.[1]);
    expect(oldSpace).toBe(256);
    expect(limitMi(read('deploy/kustomize/base/deployment.yaml'))).toBe(2 * oldSpace);
    expect(limitMi(read('deploy/helm/mcpre/values.yaml'))).toBe(2 * oldSpace);
  });
});
