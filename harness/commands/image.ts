// faultline image [build]: show the node image this checkout wants, or build it.
import { execa } from "execa";
import type { CommandModule } from "yargs";
import { EXIT, UserError } from "../../core/errors.ts";
import { assertDocker, imageExists, nodeImageTag } from "../runtime/index.ts";
import { BUILD_SCRIPT } from "../runtime/image.ts";
import { listExtraImages } from "../runtime/extra-image.ts";

const status: CommandModule = {
  command: "status",
  describe: "Print the node image tag and whether the engine has it",
  handler: async () => {
    await assertDocker();
    const tag = nodeImageTag();
    const present = await imageExists(tag);
    console.log(`${tag}  ${present ? "present" : "missing (run `faultline image build`)"}`);
    // Node images with extra packages (--image-packages), built on demand and kept.
    for (const extra of await listExtraImages()) {
      const base = extra.current ? "" : "  (built from an older node image; unused)";
      console.log(`${extra.tag}  + ${extra.packages.join(", ")}${base}`);
    }
    if (!present) process.exitCode = EXIT.environment;
  },
};

const build: CommandModule = {
  command: "build",
  describe: "Build the node image from Debian packages (cached by recipe hash)",
  handler: async () => {
    await assertDocker();
    const r = await execa("bash", [BUILD_SCRIPT], { stdio: "inherit", reject: false });
    if (r.exitCode !== 0) {
      throw new UserError(
        "Building the node image failed; see the output above.",
        EXIT.environment,
      );
    }
  },
};

export const imageCommand: CommandModule = {
  command: "image",
  describe: "The node base image: status or build",
  builder: (y) =>
    y.command(status).command(build).demandCommand(1, "Name an action: status or build."),
  handler: () => {},
};
