// Bundle a TypeScript entry point into one JavaScript file for the node image's Node.js 18,
// so programs can be shipped into containers as plain files (ClusterSpec.files).
// esbuild is loaded on first use: most commands (check, --help) never bundle anything.

const cache = new Map<string, Promise<string>>();

/** The bundled source of `entry` (an absolute path), built once per process. */
export function bundle(entry: string): Promise<string> {
  let built = cache.get(entry);
  if (!built) {
    built = import("esbuild")
      .then((esbuild) =>
        esbuild.build({
          entryPoints: [entry],
          bundle: true,
          platform: "node",
          target: "node18",
          format: "cjs",
          write: false,
          logLevel: "silent",
        }),
      )
      .then((r) => r.outputFiles[0].text);
    cache.set(entry, built);
  }
  return built;
}
