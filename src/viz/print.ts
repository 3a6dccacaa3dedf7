import { toDot } from './dot.ts';
import { loadMachines } from './machines.ts';
import { toChart, toMermaid } from './statechart.ts';

const FORMATS = ['mermaid', 'json', 'dot'] as const;

export async function printCharts(opts: { machine?: string; format: string }): Promise<string> {
  if (!FORMATS.includes(opts.format as (typeof FORMATS)[number])) {
    throw new Error(`unknown --format "${opts.format}"; use one of ${FORMATS.join(', ')}`);
  }
  const machines = await loadMachines(opts.machine ? [opts.machine] : undefined);
  const charts = [...machines.entries()].map(([name, m]) => ({ name, chart: toChart(m) }));
  if (opts.format === 'json')
    return `${JSON.stringify(Object.fromEntries(charts.map((c) => [c.name, c.chart])), null, 2)}\n`;
  const render = opts.format === 'dot' ? toDot : toMermaid;
  return charts.map((c) => (charts.length > 1 ? `%% ${c.name}\n${render(c.chart)}` : render(c.chart))).join('\n');
}
