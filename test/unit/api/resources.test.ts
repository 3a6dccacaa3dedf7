// src/api/resources.ts hand-writes the group/version/plural/kind that code uses; crds/ is the source of truth.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../../../scripts/generate/crds.ts';
import {
  GROUP_VERSION,
  SERVED_RESOURCES,
  TOOLHIVE_MCP_REMOTE_PROXY,
  TOOLHIVE_MCP_SERVER,
  TOOLHIVE_MCP_SERVER_ENTRY,
} from '../../../src/api/resources.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const ids = (dir: string) =>
  loadCrds(repoRoot, dir)
    .map(({ crd, version }) => ({
      group: crd.spec.group,
      version: version.name,
      plural: crd.spec.names.plural,
      kind: crd.spec.names.kind,
    }))
    .sort((a, b) => a.kind.localeCompare(b.kind));

describe('resource constants', () => {
  it('match every CRD in crds/, one to one', () => {
    expect([...SERVED_RESOURCES].sort((a, b) => a.kind.localeCompare(b.kind))).toEqual(ids('crds'));
  });

  it('match the test-only ToolHive CRDs', () => {
    expect([TOOLHIVE_MCP_REMOTE_PROXY, TOOLHIVE_MCP_SERVER]).toEqual(ids('test/crds/toolhive'));
  });

  it('name the deprecated MCPServerEntry as its CRD does (the version is discovered at run time)', () => {
    const [entry] = ids('test/crds/toolhive-v1beta1').filter((r) => r.kind === 'MCPServerEntry');
    const { version: _, ...named } = TOOLHIVE_MCP_SERVER_ENTRY;
    expect(named).toEqual({ group: entry?.group, plural: entry?.plural, kind: entry?.kind });
  });

  it('GROUP_VERSION is the apiVersion written in manifests', () => {
    expect(GROUP_VERSION).toBe('toolhive.stacklok.dev/v1alpha1');
  });
});
