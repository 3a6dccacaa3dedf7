// The MCP effects take their time from the shared injected clock (src/actors/clock.ts).
export { type ActorClock, sleep } from '../clock.ts';
