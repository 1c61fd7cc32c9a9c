// Integers beyond 2^53 keep their exact value: histories hold them as `bigint`, since a
// JavaScript number would round 9007199254740993 to 9007199254740992 and make two different
// writes look equal. Only integers that a number cannot hold exactly become bigints, so every
// integer has one representation and `===` compares values.
//
// JSON has no bigint: `JSON.stringify` throws on one. Importing this module teaches it to write
// a bigint as its decimal digits in a string (results, reports and explanations stay
// readable); `parseJsonKeepingBigIntegers` reads such integers back as bigints from JSON text.

declare global {
  interface BigInt {
    toJSON(): string;
  }
}

if (typeof BigInt.prototype.toJSON !== "function") {
  BigInt.prototype.toJSON = function (this: bigint) {
    return this.toString();
  };
}

/** A number for a safe integer, a bigint otherwise. `digits` is an optionally signed integer. */
export function exactInteger(digits: string): number | bigint {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : BigInt(digits);
}

// 16 digits or more may exceed 2^53 (9007199254740992 has 16).
const LONG_DIGIT_RUN = /\d{16}/;
const MARK = "\u0000bigint:";

/** JSON.parse, except that integers a number cannot hold exactly come back as bigints. */
export function parseJsonKeepingBigIntegers(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  const marked = markLongIntegers(text);
  if (marked === text) return JSON.parse(text);
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === "string" && value.startsWith(MARK)
      ? exactInteger(value.slice(MARK.length))
      : value,
  );
}

// JSON.stringify writes a bigint (through toJSON above) as a quoted run of digits.
const QUOTED_INTEGER = /"-?\d+"/;
const MARKED_INTEGER = /"\\u0000bigint:(-?\d+)"/g;

/** JSON.stringify, except that a bigint is written as a bare integer literal, as
 *  parseJsonKeepingBigIntegers reads it back: for messages and history lines, where the value
 *  must stay an integer. Without a quoted integer in the plain text, nothing was a bigint. */
export function stringifyKeepingBigIntegers(value: unknown): string {
  const plain = JSON.stringify(value);
  if (plain === undefined || !QUOTED_INTEGER.test(plain)) return plain;
  // A replacer sees the value after toJSON; `this[key]` is the one before it.
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return typeof raw === "bigint" ? MARK + raw.toString() : v;
  }).replace(MARKED_INTEGER, (_m, digits: string) => digits);
}

/** Rewrites each integer literal outside strings that is not a safe integer as a marked string. */
function markLongIntegers(text: string): string {
  let out = "";
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // Skip the string, honouring escapes.
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "-" || (c >= "0" && c <= "9")) {
      let j = c === "-" ? i + 1 : i;
      while (j < text.length && text[j]! >= "0" && text[j]! <= "9") j++;
      const isInteger = !/[.eE]/.test(text[j] ?? "");
      const literal = text.slice(i, j);
      if (isInteger && literal !== "-" && !Number.isSafeInteger(Number(literal))) {
        out += text.slice(copied, i) + JSON.stringify(MARK + literal);
        copied = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
