// Loaded before anything else (bin/faultline, with --require: it runs some 10 ms sooner than
// an --import hook): until a command installs its own handler,
// SIGINT and SIGTERM end the CLI with exit code 6 (interrupted), as they do later in a run.
// Loading the CLI takes about a second; without this a Ctrl-C then would kill Node by the
// signal (exit 130) instead. Plain JavaScript: it runs before the TypeScript loader.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    // Another listener is a command's own handler (a run's clean-up): it decides.
    if (process.listenerCount(signal) === 1) process.exit(6);
  });
}
// `ps` and /proc say "faultline" from here on (tests wait for it: the handlers above are in).
process.title = "faultline";
