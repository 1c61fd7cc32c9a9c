// What every interceptor shares: the message it sees, how it passes messages on, and what it
// may know about the node and the run.

import type { Body, Message } from "../../lib/node.ts";

// The node protocol's own message shapes (targets/lib/node.ts), re-exported for the rules.
export type { Body, Message };

/** A message on its way out, and how long it waits before it leaves. */
export interface Outgoing {
  msg: Message;
  delayMs: number;
}

export type Emit = (out: Outgoing) => void;

export interface Interceptor {
  /** Take one message: emit what becomes of it (nothing, itself, changed, several), now or
   *  later. */
  pass(out: Outgoing, emit: Emit): void;
  /** Release what it holds at once (its rule is being replaced or healed). */
  flush?(emit: Emit): void;
}

export interface InterceptContext {
  /** This node's id, and every other node's, in node order. */
  self: string;
  peers: string[];
  /** The body fields that carry values (ByzantineSpec.valueFields); undefined: every leaf. */
  valueFields?: string[];
  /** A number in [0, 1) from the rule's seeded source. */
  random(): number;
  /** Messages this node sent to a peer before (what replay resends). */
  sentBefore(dest: string): readonly Message[];
  /** Call `fn` in `ms` milliseconds (a fake clock in unit tests). */
  later(fn: () => void, ms: number): void;
}

/** A copy of a message that can be changed without touching the original. */
export function copyOf(msg: Message): Message {
  return structuredClone(msg);
}

/** A stable number in [0, 1) for a string (which peers an equivocation lies to). */
export function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}
