import type { Command } from 'commander';
import { registerDevCluster } from './dev-cluster.ts';

// Every command registers itself here; the action of each imports its implementation lazily.
export function registerCommands(program: Command): void {
  registerDevCluster(program);
}
