// The era-independent protocol interface the backend-session machine talks to. Defined beside the machine (which owns
// the port), re-exported here for the implementations in this directory.
export type * from '../../machines/backend-session-protocol.ts';
