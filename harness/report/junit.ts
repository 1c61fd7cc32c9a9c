// junit.xml: one test suite per run, one test case per checker, so CI shows which property
// failed. A violation is a <failure>, an unknown verdict or an interrupted run an <error>.
import type { CheckResult } from "../../checkers/types.ts";

export interface JunitInput {
  suite: string;
  durationSeconds: number;
  results: Record<string, CheckResult>;
  incomplete: boolean;
  explanation: string[];
}

export function renderJunit(input: JunitInput): string {
  const cases = Object.entries(input.results);
  if (input.incomplete)
    cases.push(["run", { valid: "unknown", reason: "the run was interrupted" }]);
  const failures = cases.filter(([, r]) => r.valid === false).length;
  const errors = cases.filter(([, r]) => r.valid === "unknown").length;
  const body = cases
    .map(([name, r]) => {
      const text = esc(
        [r.reason ?? "", ...(r.valid === false ? input.explanation : [])]
          .filter(Boolean)
          .join("\n"),
      );
      const inner =
        r.valid === false
          ? `<failure message="${esc(r.reason ?? "violation found")}">${text}</failure>`
          : r.valid === "unknown"
            ? `<error message="${esc(r.reason ?? "unknown")}">${text}</error>`
            : "";
      return `    <testcase classname="${esc(input.suite)}" name="${esc(name)}" time="${input.durationSeconds.toFixed(3)}">${inner}</testcase>`;
    })
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="${esc(input.suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${input.durationSeconds.toFixed(3)}">
${body}
  </testsuite>
</testsuites>
`;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!,
  );
}
