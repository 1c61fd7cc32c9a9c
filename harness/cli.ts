// The faultline command line. Each subcommand lives in harness/commands/<name>.ts and exports
// a yargs CommandModule; this file only wires them up and turns errors into exit codes.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { EXIT, UserError } from "../core/errors.ts";
import { commands } from "./commands/index.ts";

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName("faultline")
    .usage("$0 <command> [options]\n\nJepsen-style fault injection against real Docker clusters.")
    .strict()
    .demandCommand(1, "Name a command; `faultline --help` lists them.")
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version(false)
    .epilog(
      "Exit codes: 0 valid, 1 invalid, 2 unknown, 3 harness error, 4 bad input, 5 environment not ready (try `faultline doctor`), 6 interrupted.",
    )
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(msg ?? "Bad command line; see `faultline --help`.");
    });
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
}

function reportAndExit(err: unknown): never {
  if (err instanceof UserError) {
    console.error(`faultline: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(`faultline: internal error (this is a bug in Faultline):`);
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(EXIT.harnessError);
}

// Exit as soon as the command is done: a handle left open by an abandoned wait (a node that
// never answered before an interrupt, say) must not keep a finished run alive.
main(hideBin(process.argv)).then(() => process.exit(process.exitCode ?? EXIT.valid), reportAndExit);
