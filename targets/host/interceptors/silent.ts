// silent: the traitor sends nothing to its peers, yet stays alive and answers its clients
// (the chain sees node-to-node messages only).
import type { Interceptor } from "./types.ts";

export function silent(): Interceptor {
  return { pass() {} };
}
