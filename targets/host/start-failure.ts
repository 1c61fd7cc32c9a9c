// The one line a node host logs when its node program cannot start, and how the control
// process finds it again in a node's log (awaitHostsReady fails fast on it instead of
// waiting out its readiness timeout).

const CANNOT_START = "host: node program cannot start: ";
const EXITED_EARLY = "host: node program exited before init_ok ";
/** Every host start logs a line beginning with this; a log's last incarnation follows it. */
export const HOST_START_MARK = "host: clients on tcp ";

/** The line when spawning the program failed (it never ran). */
export function spawnFailureLine(cmd: string, err: NodeJS.ErrnoException): string {
  let why: string;
  if (err.code === "ENOENT") why = `${cmd}: not found in the node image`;
  else if (err.code === "EACCES") why = `${cmd}: not executable (permission denied)`;
  else why = `${cmd}: ${err.message}`;
  return CANNOT_START + why;
}

/** Lines of a stack trace or traceback that say where, not what (the host trims lines). */
const WHERE_LINE = [
  /^at /,
  /^File "/,
  /^Traceback \(most recent call last\)/,
  /^Node\.js v\d/,
  /^[\^~ ]+$/,
];

/** A line that states an error (as opposed to context around it). */
const ERROR_LINE =
  /\w*(Error|Exception)\b|No such file|not found|[Cc]annot |can't |denied|[Ff]atal/;

/** What a program's last stderr lines say went wrong: the last line that states an error
 *  (`ModuleNotFoundError: ...`, `/usr/bin/env: 'ruby': No such file or directory`), else the
 *  last two lines that are not stack frames, else the last line. */
export function stderrGist(tail: string[]): string[] {
  const telling = tail.filter((l) => !WHERE_LINE.some((re) => re.test(l)));
  const errors = telling.filter((l) => ERROR_LINE.test(l));
  if (errors.length > 0) return errors.slice(-1);
  return telling.length > 0 ? telling.slice(-2) : tail.slice(-1);
}

/** The line when the program ran but exited before answering init: what it said last. */
export function earlyExitLine(
  code: number | null,
  signal: string | null,
  stderrTail: string[],
): string {
  const how = signal ? `signal ${signal}` : `code ${code}`;
  const gist = stderrGist(stderrTail);
  let said = gist.length > 0 ? gist.join(" | ") : "nothing on stderr";
  if (said.length > 400) said = `${said.slice(0, 400)}...`;
  return `${EXITED_EARLY}(${how}): ${said}`;
}

/** The reason a host logged for its program not starting, in its latest run (the text after
 *  the last host start), or undefined if it logged none. `python: not found in the node
 *  image`, `exited before init_ok (code 127): /usr/bin/env: 'ruby': No such file ...`. */
export function startFailureIn(log: string): string | undefined {
  const lastStart = log.lastIndexOf(HOST_START_MARK);
  const latest = lastStart >= 0 ? log.slice(lastStart) : log;
  for (const line of latest.split("\n")) {
    const a = line.indexOf(CANNOT_START);
    if (a >= 0) return line.slice(a + CANNOT_START.length).trim();
    const b = line.indexOf(EXITED_EARLY);
    if (b >= 0) return line.slice(b + "host: node program ".length).trim();
  }
  return undefined;
}
