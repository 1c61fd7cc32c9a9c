// faultline clean: remove every container and network any Faultline run left behind.
import type { CommandModule } from "yargs";
import { assertDocker, cleanAll } from "../runtime/index.ts";

export const cleanCommand: CommandModule<object, { id?: string }> = {
  command: "clean",
  describe: "Remove every Faultline container and network (and so their fault rules)",
  builder: (y) =>
    y.option("id", { type: "string", describe: "Only the leftovers of this cluster id" }),
  handler: async (args) => {
    await assertDocker();
    const { containers, networks } = await cleanAll(args.id);
    if (containers === 0 && networks === 0) console.log("Nothing to clean.");
    else console.log(`Removed ${containers} container(s) and ${networks} network(s).`);
  },
};
