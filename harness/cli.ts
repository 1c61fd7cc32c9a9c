// The faultline command line. Each subcommand lives in harness/commands/<name>.ts and exports
// a yargs CommandModule; this file only wires them up and turns errors into exit codes.
import yargs, { type CommandModule } from "yargs";
import { hideBin } from "yargs/helpers";
import { EXIT, UserError } from "../core/errors.ts";
import { commands } from "./commands/index.ts";
import { exitWhenFlushed, ignoreClosedPipes } from "./exit.ts";
import { closest, unknownArgumentsMessage } from "./suggest.ts";
import { projectVersion } from "./store.ts";
import { STDIN } from "../histories/load.ts";

export async function main(argv: string[]): Promise<void> {
  // `faultline --version` (before any command): the package version and git commit.
  const firstCommand = argv.findIndex((a) => !a.startsWith("-"));
  const leading = firstCommand < 0 ? argv : argv.slice(0, firstCommand);
  if (leading.includes("--version") || leading.includes("-V")) {
    console.log(`faultline ${projectVersion()}`);
    return;
  }
  // A lone "-" is standard input, as for other Unix tools (`check - < history.jsonl`;
  // histories/load.ts reads it); yargs would read it as an empty string.
  argv = argv.map((a) => (a === "-" ? STDIN : a));
  let cli = yargs(argv)
    .scriptName("faultline")
    .usage("$0 <command> [options]\n\nJepsen-style fault injection against real Docker clusters.")
    .strict()
    .demandCommand(1, "Name a command; `faultline --help` lists them.")
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version(false)
    .option("version", {
      alias: "V",
      type: "boolean",
      describe: "Print Faultline's version (package version + git commit)",
    })
    // Every exit goes through exitWhenFlushed (below), help included.
    .exitProcess(false)
    .epilog(
      "Exit codes: 0 valid, 1 invalid, 2 unknown, 3 harness error, 4 bad input, 5 environment not ready (try `faultline doctor`), 6 interrupted.",
    )
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(explainFailure(msg ?? "", argv));
    });
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
}

/** yargs's message, made one sentence that says what to type instead where we can tell. */
function explainFailure(msg: string, argv: string[]): string {
  const word = argv.find((a) => !a.startsWith("-"));
  const command = commands.find((c) => commandName(c) === word);
  const typo = /^Did you mean (.*)\?$/.exec(msg);
  if (typo) return `Unknown command "${word}"; did you mean ${typo[1]}? (\`faultline --help\`)`;
  if (word !== undefined && !command && msg.startsWith("Unknown argument")) {
    const near = closest(word, commands.map(commandName));
    return `Unknown command "${word}"${near ? `; did you mean ${near}?` : ""} (\`faultline --help\` lists the commands).`;
  }
  const known = command ? optionNames(command) : ["help", "version"];
  const prefix = command ? `faultline ${commandName(command)}` : "faultline";
  return (
    unknownArgumentsMessage(msg, argv, known, prefix) ??
    (msg || "Bad command line; see `faultline --help`.")
  );
}

function commandName(command: CommandModule): string {
  const spec = Array.isArray(command.command) ? command.command[0] : command.command;
  return String(spec ?? "").split(" ")[0]!;
}

/** The flags a command takes, read off its builder. */
function optionNames(command: CommandModule): string[] {
  try {
    let y = yargs([]);
    if (typeof command.builder === "function") y = command.builder(y) as typeof y;
    else if (command.builder) y = y.options(command.builder);
    // getOptions() is yargs's own list of declared keys; it is not in the type definitions.
    const keys = (y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions()
      .key;
    return Object.keys(keys).filter((k) => !/[A-Z]/.test(k) && k !== "$0");
  } catch {
    return ["help"];
  }
}

async function reportAndExit(err: unknown): Promise<never> {
  if (err instanceof UserError) {
    console.error(`faultline: ${err.message}`);
    return exitWhenFlushed(err.exitCode);
  }
  console.error(`faultline: internal error (this is a bug in Faultline):`);
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return exitWhenFlushed(EXIT.harnessError);
}

ignoreClosedPipes();
// Exit as soon as the command is done (once its output is out): a handle left open by an
// abandoned wait (a node that never answered before an interrupt, say) must not keep a
// finished run alive.
main(hideBin(process.argv)).then(
  () => exitWhenFlushed(Number(process.exitCode ?? EXIT.valid)),
  reportAndExit,
);
