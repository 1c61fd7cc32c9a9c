// junit.xml: one test suite per run, one test case per checker, so CI shows which property
// failed. A violation is a <failure>, an unknown verdict or an interrupted run an <error>.
// The suite carries what a CI reader needs to act on it: the seed and every parameter as
// <properties>, when it ran (timestamp, UTC) and the command that replays it.
import type { CheckResult } from "../../checkers/types.ts";

export interface JunitInput {
  suite: string;
  /** Seconds of the whole run (the suite's time). */
  durationSeconds: number;
  /** Seconds the checkers took (each test case's time). */
  checkSeconds?: number;
  results: Record<string, CheckResult>;
  incomplete: boolean;
  explanation: string[];
  /** When the run started (or the check ran). */
  timestamp?: Date;
  /** Name -> value: the seed and the run's parameters. */
  properties?: Record<string, unknown>;
  /** The command that repeats the run (or the check). */
  replay?: string;
  /** Where the run is stored. */
  dir?: string;
}

/** One rendered <testsuite> and its counts. */
export interface JunitSuite {
  xml: string;
  tests: number;
  failures: number;
  errors: number;
  time: number;
}

/** A whole junit.xml holding one suite. */
export function renderJunit(input: JunitInput): string {
  return junitDocument([junitSuite(input)]);
}

/** A junit.xml of several suites (the runs of `faultline run --test-count N`). */
export function junitDocument(suites: JunitSuite[]): string {
  const sum = (k: "tests" | "failures" | "errors" | "time") => suites.reduce((n, s) => n + s[k], 0);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="faultline" tests="${sum("tests")}" failures="${sum("failures")}" errors="${sum("errors")}" time="${sum("time").toFixed(3)}">
${suites.map((s) => s.xml).join("")}</testsuites>
`;
}

/** One <testsuite> element. */
export function junitSuite(input: JunitInput): JunitSuite {
  const cases = Object.entries(input.results);
  if (input.incomplete)
    cases.push(["run", { valid: "unknown", reason: "the run was interrupted" }]);
  const failures = cases.filter(([, r]) => r.valid === false).length;
  const errors = cases.filter(([, r]) => r.valid === "unknown").length;
  const caseTime = (input.checkSeconds ?? 0).toFixed(3);
  const replayLine = input.replay ? [`Replay: ${input.replay}`] : [];
  const body = cases
    .map(([name, r]) => {
      const text = esc(
        [r.reason ?? "", ...(r.valid === false ? input.explanation : []), ...replayLine]
          .filter(Boolean)
          .join("\n"),
      );
      const inner =
        r.valid === false
          ? `<failure message="${attr(r.reason ?? "violation found")}" type="invalid">${text}</failure>`
          : r.valid === "unknown"
            ? `<error message="${attr(r.reason ?? "unknown")}" type="unknown">${text}</error>`
            : "";
      return `    <testcase classname="${attr(input.suite)}" name="${attr(name)}" time="${caseTime}">${inner}</testcase>\n`;
    })
    .join("");
  const properties = Object.entries({
    ...input.properties,
    ...(input.replay ? { replay: input.replay } : {}),
    ...(input.dir ? { stored: input.dir } : {}),
  })
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `      <property name="${attr(k)}" value="${attr(typeof v === "string" ? v : JSON.stringify(v))}"/>\n`,
    )
    .join("");
  const out = [
    ...replayLine,
    ...(input.dir ? [`Stored in ${input.dir}`] : []),
    ...input.explanation,
  ];
  const timestamp = input.timestamp
    ? ` timestamp="${input.timestamp.toISOString().slice(0, 19)}"`
    : "";
  const xml = `  <testsuite name="${attr(input.suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${input.durationSeconds.toFixed(3)}"${timestamp}>
${properties ? `    <properties>\n${properties}    </properties>\n` : ""}${body}${out.length ? `    <system-out>${esc(out.join("\n"))}</system-out>\n` : ""}  </testsuite>
`;
  return { xml, tests: cases.length, failures, errors, time: input.durationSeconds };
}

/** Text content: the five XML specials escaped, characters XML 1.0 forbids dropped. */
function esc(s: string): string {
  return s
    .replace(
      /[&<>"']/g,
      (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!,
    )
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

/** An attribute value: as text, and line breaks kept (a parser turns a bare one into a space). */
function attr(s: string): string {
  return esc(s).replace(/\r?\n/g, "&#10;");
}
