/**
 * Every command ends on these signals with the shell's codes (128 + signal number), whatever it is
 * waiting on; 'exit' handlers (the spinner's cursor, a console's raw mode) still run. Installed by
 * each start-up path (bin/run.js, the fast path's bundle and snapshot) as the process starts.
 */
export function installExits() {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ]) {
    process.on(signal, () => process.exit(code));
  }
  // The terminal or the reader went away (`mc logs -f | head`, a closed ssh session): stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error) => process.exit(error.code === "EPIPE" ? 0 : 129));
  }
}
