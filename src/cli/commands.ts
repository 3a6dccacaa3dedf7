import type { Command } from 'commander';
import { registerDevCluster } from './dev-cluster.ts';
import { registerGateway } from './gateway.ts';
import { registerMigrate } from './migrate.ts';
import { registerOperator } from './operator.ts';
import { registerProbe } from './probe.ts';
import { registerSim } from './sim.ts';
import { registerUp } from './up.ts';
import { registerViz } from './viz.ts';

// Every command registers itself here; the action of each imports its implementation lazily.
export function registerCommands(program: Command): void {
  registerDevCluster(program);
  registerMigrate(program);
  registerGateway(program);
  registerUp(program);
  registerViz(program);
  registerSim(program);
  registerOperator(program);
  registerProbe(program);
}
