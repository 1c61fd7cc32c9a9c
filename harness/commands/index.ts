// Every subcommand of `faultline`, in the order `--help` lists them.
import type { CommandModule } from "yargs";
import { doctorCommand } from "./doctor.ts";
import { clusterCommand } from "./cluster.ts";
import { cleanCommand } from "./clean.ts";
import { imageCommand } from "./image.ts";
import { runCommand } from "./run.ts";
import { targetsCommand } from "./targets.ts";
import { checkCommand } from "./check.ts";
import { compareCommand } from "./compare.ts";
import { replayCommand } from "./replay.ts";
import { shrinkCommand } from "./shrink.ts";
import { serveCommand } from "./serve.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];
commands.push(doctorCommand, clusterCommand, cleanCommand, imageCommand);
commands.push(checkCommand);
commands.push(runCommand, targetsCommand);
commands.push(compareCommand);
commands.push(replayCommand, shrinkCommand);
commands.push(serveCommand);
