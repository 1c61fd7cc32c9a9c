// The store: one folder per run, store/<target>/<timestamp>/, holding everything needed to
// look at the run later, and `latest` links to the newest run (per target and overall).
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execaSync } from "execa";

export const DEFAULT_STORE = "store";

/** The names of the files a run folder holds. */
export const STORE_FILES = {
  test: "test.json",
  history: "history.jsonl",
  results: "results.json",
  report: "report.html",
  junit: "junit.xml",
  logs: "logs",
} as const;

/** A sortable, filesystem-safe timestamp: 20261121T051234.567Z. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, "");
}

/** Create store/<target>/<timestamp>/ (and its logs folder) and return its path. */
export function createRunDir(storeRoot: string, target: string, date = new Date()): string {
  let dir = join(storeRoot, target, timestamp(date));
  // Two runs in the same millisecond (--test-count) get a suffix rather than sharing a folder.
  for (let i = 1; existsSync(dir); i++) dir = join(storeRoot, target, `${timestamp(date)}-${i}`);
  mkdirSync(join(dir, STORE_FILES.logs), { recursive: true });
  return dir;
}

/** Point store/<target>/latest and store/latest at this run (relative links, replaced atomically). */
export function linkLatest(storeRoot: string, runDir: string): void {
  const targetDir = dirname(runDir);
  replaceLink(join(targetDir, "latest"), relative(targetDir, runDir));
  replaceLink(join(storeRoot, "latest"), relative(storeRoot, runDir));
}

export function writeJson(dir: string, name: string, data: unknown): void {
  writeFileSync(join(dir, name), JSON.stringify(data, null, 2) + "\n");
}

/** The project's version: package.json's, plus the git commit when there is one. */
export function projectVersion(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  try {
    const { stdout } = execaSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      reject: true,
    });
    return `${pkg.version}+${stdout.trim()}`;
  } catch {
    return pkg.version;
  }
}

function replaceLink(linkPath: string, to: string): void {
  const tmp = `${linkPath}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(to, tmp);
  renameSync(tmp, linkPath);
}
