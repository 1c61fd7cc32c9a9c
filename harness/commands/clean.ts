// faultline clean: remove every container and network any Faultline run left behind.
import type { CommandModule } from "yargs";
import { assertDocker, cleanAll } from "../runtime/index.ts";
import { EXIT, UserError } from "../../core/errors.ts";

export const cleanCommand: CommandModule<object, { id?: string }> = {
  command: "clean",
  describe: "Remove every Faultline container and network (and so their fault rules)",
  builder: (y) =>
    y.option("id", { type: "string", describe: "Only the leftovers of this cluster id" }),
  handler: async (args) => {
    await assertDocker();
    const { containers, networks, inUse } = await cleanAll(args.id);
    if (containers === 0 && networks === 0 && inUse.length === 0) console.log("Nothing to clean.");
    else console.log(`Removed ${containers} container(s) and ${networks} network(s).`);
    if (inUse.length > 0) {
      throw new UserError(
        `Network(s) ${inUse.join(", ")} still have containers attached that are not Faultline's or were still being created (is a run still going?); stop them, then run \`faultline clean\` again.`,
        EXIT.environment,
      );
    }
  },
};
