// Where each op of a loaded history came from: the file and the line it starts on, so an error
// found after parsing (an invocation with no completion, say) names the line to look at.
// Kept beside the history array rather than on each op: one number per op, and nothing extra
// written back when ops are stored.
import type { Op } from "./op.ts";

interface Source {
  file: string;
  /** The 1-based line of each op, by position in the history array. */
  lines: Int32Array;
}

const sources = new WeakMap<readonly Op[], Source>();

/** Records that `history[i]` starts on line `lines[i]` of `file`. */
export function recordSource(history: readonly Op[], file: string, lines: ArrayLike<number>): void {
  sources.set(history, { file, lines: Int32Array.from(lines) });
}

/** "FILE, line N" for the op at `position`, or undefined when the history was not read from a
 *  file (a run's own recorder, a test, a slice of a loaded history). */
export function whereIs(history: readonly Op[], position: number): string | undefined {
  const source = sources.get(history);
  const line = source?.lines[position];
  return source && line ? `${source.file}, line ${line}` : undefined;
}
