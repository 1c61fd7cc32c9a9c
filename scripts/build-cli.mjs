// Bundles the CLI (harness/cli.ts and everything it imports) into dist/cli.mjs, so that
// `faultline` starts in a fraction of the second that loading the TypeScript sources through
// tsx takes. bin/faultline runs this when the bundle is missing or older than a source file.
//
// Files that read their neighbours (targets' Python programs, the image recipe, ...) find them
// with `new URL("./x", import.meta.url)`; in one bundle every file would share dist/cli.mjs's
// URL, so each file's `import.meta.url` is rewritten to its own source location, relative to
// the bundle (the repository may move; dist/ moves with it).
//
// esbuild stays outside (it runs a binary of its own), loaded from node_modules. ssh2, which
// the Docker client loads at start for ssh:// engines, is replaced by a stub: Faultline talks
// to a local engine, and loading ssh2 costs a tenth of the start-up.
import { build } from "esbuild";
import { readFile, rename } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "cli.mjs");

const noSsh = {
  name: "no-ssh2",
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, () => ({ path: "ssh2", namespace: "no-ssh2" }));
    b.onLoad({ filter: /.*/, namespace: "no-ssh2" }, () => ({
      contents:
        "module.exports = { Client: class { constructor() { throw new Error('Faultline reaches Docker through a local socket or tcp://, not ssh://: set DOCKER_HOST accordingly.'); } } };",
      loader: "js",
    }));
  },
};

const ownUrls = {
  name: "own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const fromBundle = relative(dirname(outfile), path).split("\\").join("/");
      const own = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
      return { contents: source.replaceAll("import.meta.url", own), loader: "ts" };
    });
  },
};

// Written beside the target, then renamed: two CLIs building at once never read half a file.
const temp = `${outfile}.${process.pid}.tmp`;
await build({
  entryPoints: [join(root, "harness", "cli.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile: temp,
  external: ["esbuild"],
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __faultlineRequire } from 'node:module'; const require = __faultlineRequire(import.meta.url);",
  },
  plugins: [noSsh, ownUrls],
  logLevel: "error",
});
await rename(temp, outfile);
