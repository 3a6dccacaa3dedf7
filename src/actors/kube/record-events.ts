// The `recordEvents` effect: Kubernetes Events (events.k8s.io/v1) on the endpoint, for `kubectl describe` and
// `kubectl events`. Best effort: the machine ignores a failure here.
import { fromPromise } from 'xstate';
import { microTime } from '../../api/kube-time.ts';
import { GROUP_VERSION } from '../../api/resources.ts';
import type { RecordEventsInput } from '../../machines/endpoint-context.ts';
import { collectionPath, type KubeApi, Resources } from './kube-api.ts';

export const REPORTING_CONTROLLER = 'toolhive.stacklok.dev/mcpre-operator';

export interface RecordEventsDeps {
  api: KubeApi;
  /** RFC 3339 time from the runtime's clock. */
  now: () => string;
  /** Which operator process reported (pod name or host name). */
  instance: string;
  /** A suffix unique to this process over time (events need distinct names; client-go uses the time in ns). */
  uniqueSuffix: () => string;
  /** Told about an event that could not be recorded (the reconcile goes on regardless). */
  onError?: (err: unknown, endpoint: RecordEventsInput['endpoint']) => void;
  /** Their place in the write queue (see KubeRequest.priority); unset: in order with every other write. */
  priority?: number;
  /**
   * Hand the sending to this runner and resolve at once instead of once the Events are sent; failures still reach
   * `onError`. An actor then rests at once and holds nothing while its Events wait behind status writes (a first pass
   * over thousands of endpoints queues one per endpoint), and their request bodies are built only when the runner
   * sends them. They are not cancelled with the actor.
   */
  detach?: (send: () => Promise<void>) => void;
}

export function recordEndpointEvents(deps: RecordEventsDeps) {
  return fromPromise<void, RecordEventsInput>(async ({ input, signal }) => {
    const { endpoint } = input;
    if (deps.detach) {
      deps.detach(async () => {
        try {
          for (const e of input.events) await record(e, undefined);
        } catch (err) {
          deps.onError?.(err, endpoint);
        }
      });
      return;
    }
    for (const e of input.events) {
      await record(e, signal).catch((err: unknown) => {
        deps.onError?.(err, endpoint);
        throw err;
      });
    }
    function record(e: RecordEventsInput['events'][number], signal: AbortSignal | undefined) {
      return deps.api.request({
        method: 'POST',
        path: collectionPath(Resources.event, endpoint.namespace),
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: `${endpoint.name.slice(0, 200)}.${deps.uniqueSuffix()}`, namespace: endpoint.namespace },
          eventTime: microTime(deps.now()),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: deps.instance.slice(0, 128),
          action: e.action,
          reason: e.reason,
          note: e.note,
          type: e.type,
          regarding: {
            apiVersion: GROUP_VERSION,
            kind: 'MCPRemoteEndpoint',
            namespace: endpoint.namespace,
            name: endpoint.name,
            uid: endpoint.uid,
            resourceVersion: endpoint.resourceVersion,
          },
        },
        signal,
        priority: deps.priority,
        discardResponse: true,
      });
    }
  });
}
