// Shared by the parser fuzz tests: text that is random, or a valid sample cut short or with a
// few characters spliced in; and the property that a parser either parses or refuses clearly.
import fc from "fast-check";
import { UserError } from "../../core/errors.ts";

export function mangled(sample: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string(),
    fc.nat({ max: sample.length }).map((n) => sample.slice(0, n)),
    fc
      .tuple(fc.nat({ max: sample.length }), fc.string({ maxLength: 3 }))
      .map(([n, s]) => sample.slice(0, n) + s + sample.slice(n)),
  );
}

/** Runs `parse`; only a UserError (one clear sentence) may come out of it. */
export function parsesOrRefuses(parse: () => unknown): void {
  try {
    parse();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
}
