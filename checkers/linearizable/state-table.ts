// Model states interned as small integers: the search compares, hashes and stores state ids,
// never states, so a long string state (a key's appends so far) is hashed once, when first
// met, rather than at every comparison. Transitions are remembered too: the search applies
// the same op to the same state many times over, and a lookup of two integers is much
// cheaper than the model's step plus hashing the state it returns.
import { INCONSISTENT, type Model, type ModelOp } from "./models/model.ts";
import { PairMap } from "./pair-map.ts";

export class StateTable<S> {
  readonly states: S[] = [];
  private readonly ids = new Map<unknown, number>();
  /** Estimated bytes held by the states, their keys and the map entries. */
  private stateBytes = 0;

  private readonly transitions: PairMap;

  /** `ops`: how many ops the search has (to size the cache of transitions). */
  constructor(
    private readonly model: Model<S>,
    ops = 0,
  ) {
    this.transitions = new PairMap(4 * ops);
  }

  intern(state: S): number {
    const key = this.model.key(state);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.states.length;
      this.states.push(state);
      this.ids.set(key, id);
      this.stateBytes += entryBytes(key, state);
    }
    return id;
  }

  /** The id of the state after `op` (number `opIndex`) from state `id`, or -1 if the model
   *  rejects it. */
  step(id: number, op: ModelOp, opIndex: number): number {
    const known = this.transitions.get(id, opIndex);
    if (known !== PairMap.MISSING) return known;
    const after = this.model.step(this.states[id], op);
    const next = after === INCONSISTENT ? -1 : this.intern(after as S);
    this.transitions.set(id, opIndex, next);
    return next;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.stateBytes + this.transitions.bytes();
  }
}

/** A Map entry and an array slot cost about 40 bytes; a string key its characters besides
 *  (one byte each for Latin-1 text, two otherwise, judged by its first character; the state
 *  itself when it is that string, and about as much again when the state is another object
 *  it was made from). */
function entryBytes(key: unknown, state: unknown): number {
  if (typeof key !== "string") return 40;
  const text = 24 + key.length * (key.charCodeAt(0) > 255 ? 2 : 1);
  return 40 + (state === key ? text : 2 * text);
}
