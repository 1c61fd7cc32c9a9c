// Comparing history values. Values come from JSON or EDN, so "equal" means equal as data:
// 1 and 1 are equal, 1 and "1" are not, [1, 2] and [1, 2] are. Integers beyond 2^53 are
// bigints (core/big-integers.ts): exact, and equal only to the same integer.
import "../../core/big-integers.ts";

export type ValueKey = string | number | bigint | boolean | null;

/** A primitive that is === for equal values (usable as a Map key). */
export function valueKey(v: unknown): ValueKey {
  if (v === null || v === undefined) return null;
  const t = typeof v;
  if (t === "number" || t === "string" || t === "boolean" || t === "bigint") return v as ValueKey;
  // Objects and arrays: JSON text, marked so it never equals a plain string.
  return "\u0000" + JSON.stringify(v);
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return valueKey(a) === valueKey(b);
}

/** Short text for a value in explanations. */
export function showValue(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "bigint") return v.toString();
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}
