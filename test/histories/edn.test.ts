// The EDN reader: the forms Jepsen histories use, and clear errors with line numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EdnSyntaxError, parseEdn } from "../../histories/edn.ts";

const one = (text: string) => parseEdn(text)[0].value;

test("reads scalars, keywords, strings and collections", () => {
  assert.deepEqual(one(`[1 -2 3.5 1/2 7N 2.5M nil true false :read "a\\"b\\n" sym]`), [
    1,
    -2,
    3.5,
    0.5,
    7,
    2.5,
    null,
    true,
    false,
    "read",
    'a"b\n',
    "sym",
  ]);
  assert.deepEqual(one(`{:process 3, :type :invoke :value [1 (2 3)] "k" #{:a :b}}`), {
    process: 3,
    type: "invoke",
    value: [1, [2, 3]],
    k: ["a", "b"],
  });
  assert.deepEqual(one(`{1 :x}`), { "1": "x" });
});

test("skips comments and discarded forms, drops tags", () => {
  const forms = parseEdn(
    `; a comment\n{:a 1} #_ {:ignored true}\n#jepsen.history.Op{:f :read} #inst "2020-01-01"`,
  );
  assert.deepEqual(
    forms.map((f) => f.value),
    [{ a: 1 }, { f: "read" }, "2020-01-01"],
  );
  assert.deepEqual(
    forms.map((f) => f.line),
    [2, 3, 3],
  );
});

test("malformed text names the line and what was expected", () => {
  const cases: [string, number, RegExp][] = [
    [`[1 2\n 3`, 2, /'\]' to close/],
    [`{:a 1\n :b}`, 2, /a value for map key "b"/],
    [`\n\n"abc`, 3, /closing '"'/],
    [`[1 2)]`, 1, /unmatched '\)'/],
    [`#`, 1, /tag, set or discard/],
  ];
  for (const [text, line, what] of cases) {
    assert.throws(
      () => parseEdn(text),
      (e: unknown) => e instanceof EdnSyntaxError && e.line === line && what.test(e.message),
      text,
    );
  }
});

test("never crashes on random or truncated input: a value or an EdnSyntaxError", () => {
  const sample = `[{:process 0, :type :invoke, :f :cas, :value [1 2]} ; c\n {:process :nemesis :type :info :f :start :value "x"} #{1 2} \\a 1/2]`;
  const ednish = fc.stringMatching(/^[\[\](){}#:;"\\ \n0-9a-z.\-+\/_NM,]*$/);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        ednish,
        fc.nat({ max: sample.length }).map((n) => sample.slice(0, n)),
      ),
      (text) => {
        try {
          parseEdn(text);
        } catch (e) {
          if (!(e instanceof EdnSyntaxError)) throw e;
        }
      },
    ),
    { numRuns: 2000 },
  );
});
