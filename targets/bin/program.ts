// A user's own program for `faultline run --bin PATH`: which files are shipped to the nodes,
// which one is the entry point, how it is started, and its hash. Reads the local filesystem
// only (no Docker), so every rule here is testable on tmp folders.
//
// PATH is one of:
//   - a script file: its whole folder is shipped (a helper module beside it imports as under
//     Maelstrom), the script is the entry point;
//   - an ELF binary: only that file is shipped (a static binary needs nothing beside it, and
//     its folder is often a build output);
//   - a folder: all of it is shipped; the entry point is an executable named main, node or
//     run at its top, else the only executable at its top, else the only main.*, node.* or
//     run.* script there.
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { UserError } from "../../core/errors.ts";
import type { NodeFile } from "../../core/runtime.ts";
import { PROGRAM_DIR } from "../host/ports.ts";

/** Where the program's files go inside a node; also its working directory there. */
export const BIN_DIR = `${PROGRAM_DIR}/bin`;
/** The small shell script that starts the program in BIN_DIR (see LAUNCHER). */
export const LAUNCHER_PATH = `${PROGRAM_DIR}/launch-bin.sh`;
/** Refuse to ship more than this many bytes or files (a script sitting in a home folder). */
export const MAX_BYTES = 50 * 1024 * 1024;
export const MAX_FILES = 2000;
/** Folders never shipped (version control, byte-code caches). */
export const SKIPPED_DIRS = new Set([".git", ".hg", ".svn", "__pycache__"]);
/** Entry-point names looked for at the top of a folder, in this order. */
export const ENTRY_NAMES = ["main", "node", "run"];
/** Interpreters for scripts that cannot be executed directly (no exec bit or no shebang). */
export const INTERPRETERS: Record<string, string[]> = {
  ".py": ["python3", "-u"],
  ".js": ["node"],
  ".mjs": ["node"],
  ".cjs": ["node"],
  ".rb": ["ruby"],
  ".sh": ["sh"],
};

/** One file of the program, as shipped. */
export interface ProgramFile {
  /** Path relative to the program's folder, with `/` separators. */
  rel: string;
  content: Buffer;
  /** 0o755 for executables, 0o644 otherwise. */
  mode: number;
}

/** How the entry point is started. */
export type Launch =
  | { kind: "elf" }
  /** A shebang line, run by the kernel; `interpreter` is what must exist in the node. */
  | { kind: "shebang"; interpreter: string }
  /** A script run by an interpreter we name: by its extension (no exec bit or no #! line), or
   *  the #! line of a file without exec bit. `need` is what must exist in the node. */
  | { kind: "interpreter"; interpreter: string[]; need: string };

export interface Program {
  /** PATH as the user gave it, made absolute. */
  path: string;
  /** The local folder whose files are shipped (for an ELF file: its folder, one file shipped). */
  root: string;
  /** The entry point, relative to root. */
  entry: string;
  /** Every shipped file, sorted by `rel`. */
  files: ProgramFile[];
  launch: Launch;
}

const isExecutable = (mode: number) => (mode & 0o111) !== 0;
const isElf = (b: Buffer) =>
  b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
const hasShebang = (b: Buffer) => b.length >= 2 && b[0] === 0x23 && b[1] === 0x21;

/** Read PATH: the files to ship, the entry point and how to start it. UserError on bad input. */
export async function loadProgram(userPath: string): Promise<Program> {
  const abs = path.resolve(userPath);
  const stat = await fs.stat(abs).catch(() => undefined);
  if (!stat) throw new UserError(`--bin ${userPath}: no such file or folder.`);
  if (stat.isDirectory()) {
    const files = await collect(abs, userPath);
    const entry = pickEntry(files, userPath);
    const file = files.find((f) => f.rel === entry)!;
    return { path: abs, root: abs, entry, files, launch: launchOf(file, userPath) };
  }
  if (!stat.isFile()) throw new UserError(`--bin ${userPath}: not a regular file or a folder.`);
  const head = await readHead(abs);
  const rel = path.basename(abs);
  if (isElf(head)) {
    const content = await fs.readFile(abs);
    checkLimits(content.length, 1, userPath, abs);
    // Always executable in the node, even if a copy lost its exec bit on the way here.
    const files = [{ rel, content, mode: 0o755 }];
    return { path: abs, root: path.dirname(abs), entry: rel, files, launch: { kind: "elf" } };
  }
  const root = path.dirname(abs);
  const files = await collect(root, userPath);
  const file = files.find((f) => f.rel === rel);
  if (!file) throw new UserError(`--bin ${userPath}: the file could not be read.`);
  return { path: abs, root, entry: rel, files, launch: launchOf(file, userPath) };
}

async function readHead(file: string): Promise<Buffer> {
  const fd = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fd.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

function checkLimits(bytes: number, count: number, userPath: string, root: string): void {
  if (count > MAX_FILES || bytes > MAX_BYTES) {
    const what =
      count > MAX_FILES
        ? `more than ${MAX_FILES} files`
        : `more than ${MAX_BYTES / 1024 / 1024} MB`;
    throw new UserError(
      `--bin ${userPath}: Faultline copies the whole folder ${root} into every node and it holds ${what}; put the program (and the modules it imports) in a folder of its own.`,
    );
  }
}

/** Every regular file under root (following symlinks, skipping SKIPPED_DIRS), sorted. */
async function collect(root: string, userPath: string): Promise<ProgramFile[]> {
  const files: ProgramFile[] = [];
  let bytes = 0;
  const seen = new Set<string>();
  const walk = async (dir: string, relDir: string): Promise<void> => {
    const real = await fs.realpath(dir);
    if (seen.has(real)) return; // a symlink loop
    seen.add(real);
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      const st = await fs.stat(abs).catch(() => undefined); // follows symlinks; broken: skip
      if (!st) continue;
      if (st.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) await walk(abs, rel);
      } else if (st.isFile()) {
        bytes += st.size;
        checkLimits(bytes, files.length + 1, userPath, root);
        const content = await fs.readFile(abs);
        files.push({ rel, content, mode: isExecutable(st.mode) ? 0o755 : 0o644 });
      }
    }
  };
  await walk(root, "");
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return files;
}

/** The entry point of a folder (see the rules at the top of this file). */
export function pickEntry(files: ProgramFile[], userPath: string): string {
  const top = files.filter((f) => !f.rel.includes("/"));
  const executables = top.filter((f) => isExecutable(f.mode));
  for (const name of ENTRY_NAMES) {
    if (executables.some((f) => f.rel === name)) return name;
  }
  if (executables.length === 1) return executables[0].rel;
  const scripts = top.filter((f) => {
    const ext = path.extname(f.rel);
    return ext in INTERPRETERS && ENTRY_NAMES.includes(f.rel.slice(0, -ext.length));
  });
  if (executables.length === 0 && scripts.length === 1) return scripts[0].rel;
  const found =
    executables.length > 0
      ? `executables ${executables.map((f) => f.rel).join(", ")}`
      : scripts.length > 0
        ? `scripts ${scripts.map((f) => f.rel).join(", ")}`
        : `no executable and no main/node/run script (top-level files: ${top.map((f) => f.rel).join(", ") || "none"})`;
  throw new UserError(
    `--bin ${userPath}: cannot tell which file to run: found ${found}; name the entry point main, node or run (executable), or pass the file itself as --bin.`,
  );
}

/** How to start `file` (the entry point). */
export function launchOf(file: ProgramFile, userPath: string): Launch {
  const { content, rel } = file;
  if (isElf(content)) return { kind: "elf" };
  const interpreter = INTERPRETERS[path.extname(rel)];
  if (hasShebang(content) && (isExecutable(file.mode) || !interpreter)) {
    const line = content.subarray(2, Math.min(content.length, 256)).toString("utf8");
    const words = line.split("\n")[0].trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) {
      throw new UserError(`--bin ${userPath}: ${rel} starts with an empty #! line.`);
    }
    if (!isExecutable(file.mode)) {
      // Not executable here: run the shebang's interpreter ourselves.
      return { kind: "interpreter", interpreter: words, need: shebangInterpreter(words) };
    }
    return { kind: "shebang", interpreter: shebangInterpreter(words) };
  }
  if (interpreter) return { kind: "interpreter", interpreter, need: interpreter[0] };
  throw new UserError(
    `--bin ${userPath}: do not know how to start ${rel}: it is neither an ELF binary nor a script with a #! line, and its name does not end in ${Object.keys(INTERPRETERS).join(", ")}.`,
  );
}

/** `#!/usr/bin/env python3 -u` -> python3; `#!/usr/bin/perl -w` -> /usr/bin/perl. */
function shebangInterpreter(words: string[]): string {
  if (path.posix.basename(words[0]) !== "env") return words[0];
  const rest = words.slice(1).filter((w) => !w.startsWith("-") && !w.includes("="));
  return rest[0] ?? words[0];
}

/** The command that runs under the node host: the launcher, what must exist, the program. */
export function programCommand(p: Program, args: string[] = []): string[] {
  const entry = `${BIN_DIR}/${p.entry}`;
  switch (p.launch.kind) {
    case "elf":
      return ["sh", LAUNCHER_PATH, "-", entry, ...args];
    case "shebang":
      return ["sh", LAUNCHER_PATH, p.launch.interpreter, entry, ...args];
    case "interpreter":
      return ["sh", LAUNCHER_PATH, p.launch.need, ...p.launch.interpreter, entry, ...args];
  }
}

/** The launcher: run the program from its folder, and say plainly when its interpreter is
 *  missing from the node image (the host logs the program's stderr, prefixed [nX]). */
export const LAUNCHER = `# Started by the node host: sh launch-bin.sh NEED PROGRAM [ARGS...]
# NEED is the interpreter that must exist in the node image ("-" for none).
need="$1"; shift
cd ${BIN_DIR} || exit 1
if [ "$need" != "-" ] && ! command -v "$need" >/dev/null 2>&1; then
  echo "$need: not found in the node image; add its Debian package with --image-packages" >&2
  exit 127
fi
exec "$@"
`;

/** The files every node gets: the program under BIN_DIR, and the launcher. */
export function programFiles(p: Program): NodeFile[] {
  return [
    { path: LAUNCHER_PATH, content: LAUNCHER, mode: 0o755 },
    ...p.files.map((f) => ({ path: `${BIN_DIR}/${f.rel}`, content: f.content, mode: f.mode })),
  ];
}

/** sha256 (hex) over the shipped files: for each, sorted by path, its relative path and its
 *  content, each preceded by its length so that no two programs hash alike by shifting bytes. */
export function hashFiles(files: ProgramFile[]): string {
  const h = createHash("sha256");
  const sorted = [...files].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  for (const f of sorted) {
    const rel = Buffer.from(f.rel, "utf8");
    h.update(`${rel.length}:`).update(rel).update(`${f.content.length}:`).update(f.content);
  }
  return h.digest("hex");
}
