// The `--bin` target: a user's own node-protocol program (a script with its folder, a binary,
// or a folder with an entry point) run under the node host on every node, as Maelstrom's
// --bin does. See targets/bin/program.ts for what is shipped and how it is started, and
// docs/node-protocol.md ("Run your own program in one command").
import { UserError } from "../../core/errors.ts";
import type { ClusterSpec } from "../../core/runtime.ts";
import { normalizePackages } from "../../core/packages.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  hostClusterSpec,
  hostSentMessages,
  setHostRules,
  openHostClient,
  startHostServices,
} from "../host/kit.ts";
import type { Target, TargetOptions } from "../types.ts";
import { hashFiles, loadProgram, programCommand, programFiles } from "./program.ts";
import type { Program } from "./program.ts";

export { BIN_DIR, LAUNCHER_PATH, MAX_BYTES, MAX_FILES, loadProgram } from "./program.ts";
export type { Program, ProgramFile, Launch } from "./program.ts";

/** What a run stores about the program (test.json's `program`). */
export interface ProgramInfo {
  /** PATH made absolute. */
  path: string;
  /** The entry point, relative to the shipped folder (e.g. `node.py`). */
  entry: string;
  /** Extra arguments (--bin-arg). */
  args: string[];
  /** programHash(path): sha256 over the shipped files' sorted relative paths and contents. */
  sha256: string;
  /** How many files are shipped, and their total size. */
  files: number;
  bytes: number;
  /** The command the node host runs in each node (the launcher, then the program). */
  command: string[];
  /** Extra Debian packages of the node image (--image-packages), sorted. */
  imagePackages: string[];
}

export interface BinOptions {
  /** A script file (its folder is shipped), an ELF binary, or a folder with an entry point. */
  path: string;
  /** Arguments after the program (--bin-arg, repeatable). */
  args?: string[];
  /** Debian packages added to the node image (--image-packages); built once, cached. */
  imagePackages?: string[];
  /** Default cluster size (3 when not given). */
  nodes?: number;
}

/** The program's hash: sha256 (hex) over the sorted relative paths and contents of what
 *  `--bin path` ships. UserError for a path that does not exist or cannot be run. */
export async function programHash(path: string): Promise<string> {
  return hashFiles((await loadProgram(path)).files);
}

function infoOf(program: Program, args: string[], imagePackages: string[]): ProgramInfo {
  return {
    path: program.path,
    entry: program.entry,
    args,
    sha256: hashFiles(program.files),
    files: program.files.length,
    bytes: program.files.reduce((n, f) => n + f.content.length, 0),
    command: programCommand(program, args),
    imagePackages,
  };
}

/** `{ program: ProgramInfo }`, ready to be merged into a run's test.json. */
export async function describeProgram(
  path: string,
  args: string[] = [],
  imagePackages: string[] = [],
): Promise<{ program: ProgramInfo }> {
  const program = await loadProgram(path);
  return { program: infoOf(program, args, normalizePackages(imagePackages)) };
}

/**
 * A Target running the program at `opts.path` on every node. Reads and checks the program
 * now (UserError for a bad path, a folder without a clear entry point, a file it cannot
 * start, or too many files); builds the image with extra packages (if any) in clusterSpec.
 * The result also carries `program`, the ProgramInfo to store in test.json.
 */
export async function binTarget(opts: BinOptions): Promise<Target & { program: ProgramInfo }> {
  const args = opts.args ?? [];
  const packages = normalizePackages(opts.imagePackages ?? []);
  const program = await loadProgram(opts.path);
  const info = infoOf(program, args, packages);
  const extra = packages.length > 0 ? ` + ${packages.join(", ")}` : "";
  return {
    name: "bin",
    description: `your program ${program.path} (runs ${program.entry}, ${info.files} files, sha256 ${info.sha256.slice(0, 12)}${extra})`,
    defaultNodes: opts.nodes ?? 3,
    // The target cannot know which workloads the program speaks: it accepts every name.
    workloads: ["*"],
    variants: {},
    program: info,
    async clusterSpec(t: TargetOptions): Promise<Omit<ClusterSpec, "nodes" | "id">> {
      if (t.variant !== undefined && t.variant !== "correct") {
        throw new UserError(
          `--bin runs your program as it is and has no variant ${t.variant}; pass arguments to it with --bin-arg instead.`,
        );
      }
      const spec = await hostClusterSpec(programFiles(program), info.command);
      // Python's stdout is block-buffered on a pipe: unbuffered, a reply leaves at once even
      // from a script started by its #! line (scripts run by extension get python3 -u too).
      const env = { PYTHONUNBUFFERED: "1" };
      if (packages.length === 0) return { ...spec, env };
      // The runtime builds (once, cached) and runs the node image plus these packages.
      return { ...spec, env, imagePackages: packages };
    },
    awaitReady: awaitHostsReady,
    client: openHostClient,
    sentMessages: hostSentMessages,
    messageRules: setHostRules,
    // Maelstrom's lin-kv, seq-kv and lww-kv, for programs that keep their state there.
    background: startHostServices,
    logPaths: HOST_LOG_PATHS,
  };
}
