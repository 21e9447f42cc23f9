#!/bin/sh
":" /*
# Run as a program (`mc`, a link to this file), sh reads these lines and node never sees them; run as
# `node run.js`, they are a comment and the JavaScript below starts mc. The fastest start is the V8
# snapshot that the build made (dist/fast, docs/architecture.md); it runs only on the Node that built
# it, so anything else goes on below, from the bundle or the plain build. MC_STARTUP=snapshot, bundle
# or plain asks for one path, and fails when that path is not built.
self=$(readlink -f "$0")
fast=${self%/bin/*}/dist/fast
if [ "${MC_STARTUP:-snapshot}" = snapshot ]; then
  # The snapshot runs only on the Node that built it: the same file (dist/fast/node links to it), not
  # written since the build (a reinstall makes a new file, one copied over it is newer than the stamp).
  node=$(command -v node)
  if [ -r "$fast/mc.blob" ] && [ "$node" -ef "$fast/node" ] && ! [ "$node" -nt "$fast/node-version" ]; then
    exec "$node" --snapshot-blob "$fast/mc.blob" -- "$@"
  fi
  if [ -n "${MC_STARTUP:-}" ]; then echo "mc: MC_STARTUP=snapshot, but $fast holds no snapshot for this node ($node, $(node --version 2>/dev/null))" >&2; exit 1; fi
fi
exec node -- "$self" "$@"
*/
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

module.enableCompileCache?.();

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = fileURLToPath(new URL("../dist/fast/mc.cjs", import.meta.url));
const wanted = process.env.MC_STARTUP;
if (wanted === "snapshot") {
  // Only sh, above, can start node with the snapshot: here node is already running.
  console.error("mc: MC_STARTUP=snapshot needs mc run as a program, not with `node run.js`");
  process.exit(1);
} else if (wanted !== "plain" && existsSync(bundle)) {
  // One file of oclif and the commands, compiled from the cache: most of a start's time is loading.
  module
    .createRequire(import.meta.url)(bundle)
    .start(root, process.argv.slice(2));
} else if (wanted === "bundle") {
  console.error(`mc: MC_STARTUP=bundle, but ${bundle} is not built`);
  process.exit(1);
} else {
  const { installExits } = await import("./exits.js");
  installExits();
  const { execute } = await import("@oclif/core");
  await execute({ dir: import.meta.url });
}
