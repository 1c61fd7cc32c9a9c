// The values of a message body, and how a traitor changes them: what flip and equivocate
// share. A target names the fields that carry values (ByzantineSpec.valueFields); without
// them every leaf of the body is a value except the protocol's own type, msg_id and
// in_reply_to, so mutations work on any protocol.
import type { Body } from "./types.ts";

const NOT_VALUES = new Set(["type", "msg_id", "in_reply_to"]);

/** A different value of the same kind: booleans negate, "T" and "F" swap, numbers go up by
 *  one, other strings get a mark; arrays and objects change every leaf. */
export function flipValue(v: unknown): unknown {
  if (typeof v === "boolean") return !v;
  if (v === "T") return "F";
  if (v === "F") return "T";
  if (typeof v === "number") return v + 1;
  if (typeof v === "string") return `${v}'`;
  if (Array.isArray(v)) return v.map(flipValue);
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flipValue(x)]));
  return v; // null stays null
}

/** The body with its value fields flipped (a new body; the given one is not changed). */
export function flipBody(body: Body, valueFields?: string[]): Body {
  const out: Body = { ...body };
  for (const [field, v] of Object.entries(body)) {
    const isValue = valueFields ? valueFields.includes(field) : !NOT_VALUES.has(field);
    if (isValue) out[field] = flipValue(v);
  }
  return out;
}
