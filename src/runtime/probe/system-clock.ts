// The real clock, for the actor system and the MCP effects in production. The only place in the session stack that
// touches the global timers and Date (machines and actors receive a clock; see docs/architecture.md#determinism).
import type { ActorClock } from '../../actors/mcp/clock.ts';

export const systemClock: ActorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
