// faultline clean: remove every container and network any Faultline run left behind.
import type { CommandModule } from "yargs";
import { assertDocker, cleanAll } from "../runtime/index.ts";

export const cleanCommand: CommandModule = {
  command: "clean",
  describe: "Remove every Faultline container and network (and so their fault rules)",
  handler: async () => {
    await assertDocker();
    const { containers, networks } = await cleanAll();
    if (containers === 0 && networks === 0) console.log("Nothing to clean.");
    else console.log(`Removed ${containers} container(s) and ${networks} network(s).`);
  },
};
