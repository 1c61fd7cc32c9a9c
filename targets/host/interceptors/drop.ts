// drop: the message is lost (the chain's probability says how many are).
import type { Interceptor } from "./types.ts";

export function drop(): Interceptor {
  return { pass() {} };
}
