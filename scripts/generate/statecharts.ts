// docs/statecharts/<machine>.md: each production machine's chart as Mermaid, generated from the machine itself.
import { loadMachines } from '../../src/viz/machines.ts';
import { toChart, toMermaid } from '../../src/viz/statechart.ts';
import type { GeneratedFile } from './typescript.ts';

export async function generateStatecharts(): Promise<GeneratedFile[]> {
  const machines = await loadMachines();
  const files: GeneratedFile[] = [];
  const index: string[] = [
    '# State charts',
    '',
    'Generated from the machines in `src/machines` by `npm run generate`; do not edit.',
    '',
  ];
  for (const [name, machine] of machines) {
    const chart = toChart(machine);
    const states = countStates(chart.root);
    index.push(`- [${name}](${name}.md): machine \`${chart.id}\`, ${states} states, ${chart.edges.length} transitions`);
    files.push({
      path: `docs/statecharts/${name}.md`,
      content: [
        `# ${name} (\`${chart.id}\`)`,
        '',
        'Generated from the machine definition by `npm run generate` (`mcpre viz --machine ' +
          name +
          '` prints the same); do not edit.',
        '',
        '```mermaid',
        toMermaid(chart).trimEnd(),
        '```',
        '',
      ].join('\n'),
    });
  }
  files.push({ path: 'docs/statecharts/README.md', content: `${index.join('\n')}\n` });
  return files;
}

function countStates(s: { children: { children: unknown[] }[] }): number {
  return s.children.reduce((n, c) => n + 1 + countStates(c as never), 0);
}
