// The operator's spans: one per reconcile of an object (a wake-up of its actor until nothing is in flight any more),
// with the actor's state changes as events; the API writes made meanwhile are its children (write-queue.ts), because
// the actor's effects run in the async context the wake-up was sent from. Used only when tracing is on (the keyed
// registry checks `tracing.on`); the actors themselves know nothing about it and take no clock for it.
import type { AnyMachineSnapshot } from 'xstate';
import { type Span, startSpan, withSpan } from '../tracing/tracing.ts';

export class ReconcileTraces {
  readonly #kind: string;
  readonly #open = new Map<string, { span: Span; state: string }>();

  /** `kind` names the spans: `reconcile <kind>`. */
  constructor(kind: string) {
    this.#kind = kind;
  }

  /** Runs fn (the wake-up) inside the key's open reconcile span; a span is started when none is open. */
  wake<T>(key: string, fn: () => T): T {
    let open = this.#open.get(key);
    if (open) open.span.addEvent('woken again');
    else {
      const [namespace, name] = key.includes('/') ? key.split('/', 2) : ['', key];
      const span = startSpan(`reconcile ${this.#kind}`, 'internal', {
        'mcpre.object.kind': this.#kind,
        'k8s.namespace.name': namespace ?? '',
        'mcpre.object.name': name ?? key,
      });
      open = { span, state: '' };
      this.#open.set(key, open);
    }
    return withSpan(open.span, fn);
  }

  /** Each snapshot of the key's actor: a change of state is an event; nothing left in flight ends the span. */
  observe(key: string, snapshot: AnyMachineSnapshot): void {
    const open = this.#open.get(key);
    if (!open) return;
    const state = statePath(snapshot.value);
    if (state !== open.state) {
      open.state = state;
      open.span.addEvent(`state ${state}`);
    }
    if (snapshot.status !== 'active' || Object.keys(snapshot.children).length === 0) this.end(key, state);
  }

  /** Ends the key's span (the actor rests, stopped, or failed). */
  end(key: string, outcome: string): void {
    const open = this.#open.get(key);
    if (!open) return;
    this.#open.delete(key);
    open.span.setAttribute('mcpre.reconcile.outcome', outcome);
    open.span.end();
  }
}

function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return '';
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => {
      const inner = statePath(v);
      return inner ? `${k}.${inner}` : k;
    })
    .join(',');
}
