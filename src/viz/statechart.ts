// Turns an XState v5 machine into a plain chart (states and labelled edges) and from there into Mermaid
// `stateDiagram-v2` text. Charts are derived from the machine definitions themselves, never drawn by hand, so the
// docs, `mcpre viz` and the live view cannot disagree with the code.
import type { AnyStateMachine } from 'xstate';

export interface ChartState {
  /** Full id, e.g. `session.ready.stream.open`. */
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Id of the initial child (compound states only). */
  initial?: string;
  children: ChartState[];
  invokes: string[];
  description?: string;
}

export interface ChartEdge {
  source: string;
  target: string;
  /** Human label: the event, `after <delay>`, `done: <actor>`, `error: <actor>` or `always`, plus `[guard]`. */
  label: string;
  event: string;
  guard?: string;
}

export interface Chart {
  id: string;
  root: ChartState;
  edges: ChartEdge[];
}

interface NodeLike {
  id: string;
  key: string;
  type: ChartState['type'];
  states: Record<string, NodeLike>;
  initial?: { target: NodeLike[] };
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
  invoke: { id: string; src: unknown }[];
  description?: string;
  machine: { id: string };
}

interface TransitionLike {
  target?: NodeLike[];
  guard?: unknown;
  eventType: string;
  delay?: unknown;
}

function guardName(guard: unknown): string | undefined {
  if (!guard) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') return guard.name && guard.name !== 'guard' ? guard.name : 'inline';
  return 'guard';
}

export function eventLabel(eventType: string, delay?: unknown): string {
  if (eventType === '') return 'always';
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `done: ${done[1]}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return `error: ${error[1]}`;
  if (eventType.startsWith('xstate.after.'))
    return `after ${typeof delay === 'number' ? `${delay} ms` : String(delay)}`;
  return eventType;
}

function walk(node: NodeLike, edges: ChartEdge[]): ChartState {
  const push = (t: TransitionLike) => {
    for (const target of t.target ?? []) {
      const guard = guardName(t.guard);
      const base = eventLabel(t.eventType, t.delay);
      edges.push({
        source: node.id,
        target: target.id,
        label: guard ? `${base} [${guard}]` : base,
        event: t.eventType,
        guard,
      });
    }
  };
  for (const list of node.transitions.values()) for (const t of list) push(t);
  for (const t of node.always ?? []) push(t);
  const children = Object.values(node.states).map((child) => walk(child, edges));
  const state: ChartState = {
    id: node.id,
    key: node.key,
    type: node.type,
    children,
    invokes: node.invoke.map((i) => (typeof i.src === 'string' && i.src !== i.id ? `${i.id} (${i.src})` : i.id)),
  };
  if (node.type === 'compound' && node.initial?.target[0]) state.initial = node.initial.target[0].id;
  if (node.description) state.description = node.description;
  return state;
}

export function toChart(machine: AnyStateMachine): Chart {
  const edges: ChartEdge[] = [];
  const root = walk(machine.root as unknown as NodeLike, edges);
  return { id: machine.id, root, edges };
}

const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
const mermaidText = (s: string) =>
  s
    .replace(/[":;#{}]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** Mermaid stateDiagram-v2 text. Parallel regions are separated with `--`, as Mermaid draws concurrency. */
export function toMermaid(chart: Chart): string {
  const lines: string[] = ['stateDiagram-v2'];
  const emit = (state: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    for (const [i, child] of state.children.entries()) {
      if (state.type === 'parallel' && i > 0) lines.push(`${pad}--`);
      const id = mermaidId(child.id);
      if (child.children.length) {
        lines.push(`${pad}state "${child.key}" as ${id} {`);
        emit(child, depth + 1);
        lines.push(`${pad}}`);
      } else {
        lines.push(`${pad}state "${child.key}" as ${id}`);
      }
      if (child.type === 'final') lines.push(`${pad}${id} --> [*]`);
      if (child.invokes.length)
        lines.push(`${pad}note right of ${id}: invokes ${mermaidText(child.invokes.join(', '))}`);
    }
    if (state.initial) lines.push(`${pad}[*] --> ${mermaidId(state.initial)}`);
  };
  emit(chart.root, 1);
  for (const e of chart.edges)
    lines.push(`  ${mermaidId(e.source)} --> ${mermaidId(e.target)}: ${mermaidText(e.label)}`);
  return `${lines.join('\n')}\n`;
}
