import { defineConfig } from 'vitest/config';

// Three projects, as docs/architecture.md describes: unit (pure, simulated clock, no I/O beyond loopback fixtures),
// integration (a real kube-apiserver + etcd and real MCP peers on loopback), sim (seeded simulations).
export default defineConfig({
  test: {
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['./test/support/integration-global-setup.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'sim',
          include: ['test/sim/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
