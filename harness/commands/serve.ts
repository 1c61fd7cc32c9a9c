// `faultline serve`: browse the store in a web browser: the runs listed with their target,
// variant, workload, faults and verdict, filter and search, each run's report and files, two
// runs compared. Serves only files inside the store; runs until Ctrl-C.
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import type { CommandModule } from "yargs";
import { EXIT, UserError } from "../../core/errors.ts";
import { createStoreServer } from "../serve/server.ts";
import { DEFAULT_STORE } from "../store.ts";

interface ServeArgs {
  store: string;
  host: string;
  port: number;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: "serve",
  describe: "Browse the store: runs, their reports and files, two runs compared (Ctrl-C stops)",
  builder: (y) =>
    y
      .option("store", { type: "string", default: DEFAULT_STORE, describe: "The store's folder" })
      .option("host", {
        type: "string",
        default: "127.0.0.1",
        describe: "Address to listen on (0.0.0.0 shows the store to the whole network)",
      })
      .option("port", { type: "number", default: 8080, describe: "Port (0: any free one)" })
      .example("$0 serve", "Browse ./store at http://127.0.0.1:8080/")
      .example("$0 serve --store /tmp/runs --port 9000", "Another store, another port"),
  handler: async (args) => {
    await serve(args);
  },
};

async function serve(args: ServeArgs): Promise<void> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
    throw new UserError(`--port must be a whole number from 0 to 65535 (got ${args.port}).`);
  if (!fs.existsSync(args.store))
    throw new UserError(
      `No store at ${args.store}: run \`faultline run\` to make one, or pass --store with the folder of a store.`,
    );
  if (!fs.statSync(args.store).isDirectory())
    throw new UserError(`${args.store} is a file, not a store's folder; pass --store DIR.`);
  const server = createStoreServer({ store: args.store });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(listenError(err, args)));
    server.listen(args.port, args.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = args.host.includes(":") ? `[${args.host}]` : args.host;
  console.log(`Serving the store ${args.store} at http://${host}:${port}/ (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      console.log("Stopped.");
      server.closeAllConnections();
      server.close(() => resolve());
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function listenError(err: NodeJS.ErrnoException, args: ServeArgs): Error {
  const where = `${args.host}:${args.port}`;
  if (err.code === "EADDRINUSE")
    return new UserError(
      `Port ${args.port} on ${args.host} is in use; stop what holds it or pass another --port (0 picks a free one).`,
      EXIT.environment,
    );
  if (err.code === "EACCES")
    return new UserError(
      `Not allowed to listen on ${where}; pass a --port above 1023.`,
      EXIT.environment,
    );
  if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND")
    return new UserError(
      `Cannot listen on ${args.host}: no such address on this machine; pass --host 127.0.0.1 or one of its addresses.`,
      EXIT.badInput,
    );
  return err;
}
