// Graphviz DOT for a chart, with stable element ids (`s:<state id>`), so the live view can highlight the active
// states of an actor in the rendered SVG without re-rendering it.
import type { Chart, ChartState } from './statechart.ts';

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function isComposite(s: ChartState): boolean {
  return s.children.length > 0;
}

/** The node an edge attaches to: a composite state is drawn as a cluster with an anchor node inside it. */
const anchor = (s: ChartState) => (isComposite(s) ? `${s.id}#anchor` : s.id);

export function toDot(chart: Chart): string {
  const byId = new Map<string, ChartState>();
  const lines = [
    `digraph ${q(chart.id)} {`,
    '  compound=true; rankdir=LR; fontname="Helvetica"; node [fontname="Helvetica", shape=box, style="rounded"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const emit = (state: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    for (const child of state.children) {
      byId.set(child.id, child);
      if (isComposite(child)) {
        const style = child.type === 'parallel' ? 'dashed' : 'rounded';
        lines.push(`${pad}subgraph ${q(`cluster_${child.id}`)} {`);
        lines.push(`${pad}  id=${q(`s:${child.id}`)}; label=${q(child.key)}; style=${q(style)};`);
        lines.push(`${pad}  ${q(anchor(child))} [shape=point, width=0.05, label=""];`);
        emit(child, depth + 1);
        lines.push(`${pad}}`);
      } else {
        const shape = child.type === 'final' ? ', peripheries=2' : '';
        lines.push(`${pad}${q(child.id)} [id=${q(`s:${child.id}`)}, label=${q(child.key)}${shape}];`);
      }
    }
  };
  byId.set(chart.root.id, chart.root);
  emit(chart.root, 1);
  const anyNode = `  ${q(`${chart.root.id}#any`)} [shape=plaintext, label="(any state)"];`;
  for (const e of chart.edges) {
    const src = byId.get(e.source);
    const dst = byId.get(e.target);
    if (!src || !dst) continue;
    const attrs = [`label=${q(e.label)}`];
    if (src !== chart.root && isComposite(src)) attrs.push(`ltail=${q(`cluster_${src.id}`)}`);
    if (dst !== chart.root && isComposite(dst)) attrs.push(`lhead=${q(`cluster_${dst.id}`)}`);
    // A transition on the root applies in every state: draw it from a pseudo-node.
    const from = src === chart.root ? `${chart.root.id}#any` : anchor(src);
    if (src === chart.root && !lines.includes(anyNode)) lines.splice(3, 0, anyNode);
    lines.push(`  ${q(from)} -> ${q(anchor(dst))} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Ids of every active state node for a snapshot value, e.g. {ready:{stream:'open'}} -> m.ready, m.ready.stream, ... */
export function activeStateIds(machineId: string, value: unknown): string[] {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') out.push(`${prefix}.${v}`);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, child);
      }
    }
  };
  walk(machineId, value);
  return out;
}
