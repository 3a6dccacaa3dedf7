// The set-up every CRD test file shares: one control plane per file with the CRDs installed, a client for their
// objects and, when asked, one namespace, ready before the file's first test and stopped after its last.
import { afterAll, beforeAll } from 'vitest';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { type KubeObjects, kubeObjects } from './kube-objects.ts';

export interface ControlPlaneSuite {
  cp: ControlPlane;
  k: KubeObjects;
  /** The file's namespace; set only when `namespace` was given. */
  ns: string;
}

/**
 * Registers the file's beforeAll/afterAll and answers the object they fill in (read its fields inside tests and
 * hooks, not at the top level). A file that needs more set-up registers its own beforeAll after this call: vitest
 * runs them in order.
 */
export function useControlPlane(opts: { crdDirs?: string[]; namespace?: string } = {}): ControlPlaneSuite {
  const suite = {} as ControlPlaneSuite;
  beforeAll(async () => {
    suite.cp = await startControlPlane({ crdDirs: opts.crdDirs });
    suite.k = kubeObjects(suite.cp.kc);
    if (opts.namespace !== undefined) suite.ns = await suite.cp.namespace(opts.namespace);
  });
  afterAll(async () => {
    await suite.k?.close();
    await suite.cp?.stop();
  });
  return suite;
}
