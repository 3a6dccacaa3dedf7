// Runs once before the integration project: resolves (and on a first run, builds) the control-plane binaries, so
// the build's progress is printed once and no test file pays for it inside its own timeout.
import { ensureControlPlaneBinaries } from '../../src/runtime/control-plane/binaries.ts';

export default async function setup(): Promise<void> {
  const binaries = await ensureControlPlaneBinaries();
  process.env.KUBEBUILDER_ASSETS = binaries.dir;
}
