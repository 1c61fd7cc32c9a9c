// Entry point of the node host (bundled to /opt/faultline/host.js); see host.ts.
import { NodeHost, parseArgs } from "./host.ts";

let config;
try {
  config = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const host = new NodeHost(config);
host.start().catch((err: unknown) => {
  host.log(`host: cannot start: ${(err as Error).message}`);
  process.exit(1);
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    host.log(`host: ${signal}, stopping`);
    void host.stop().then(() => process.exit(0));
  });
}
