/**
 * The fast path's entry (bundled by fast/build.ts into dist/fast/mc.cjs). Required by bin/run.js, it
 * exports start(); built into a V8 startup snapshot, oclif is evaluated at build time and
 * start() runs when the snapshot is deserialized. Nothing read from the environment, the terminal or
 * the checkout's location may be kept from build time: start() takes all of it at run time.
 */

import { commandOrder, modules } from "mc:modules";
import module, { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import { execute } from "@oclif/core";
import { installExits } from "../bin/exits.js";

declare global {
  /** oclif's module loader, rewritten by fast/build.ts: a bundled module by its path, else the real file. */
  var __mcLoad: (file: string) => Promise<unknown>;
  /** `import.meta.url` of a bundled ESM file, by its path relative to the CLI's root. */
  var __mcFileUrl: (relative: string) => string;
  /** oclif's sort of a plugin's commands (fast/build.ts): localeCompare's order, without loading ICU for known ids. */
  var __mcCompareIds: (a: { id: string }, b: { id: string }) => number;
}

const rank = new Map(commandOrder.map((id, index) => [id, index]));
globalThis.__mcCompareIds = (a, b) => {
  const [x, y] = [rank.get(a.id), rank.get(b.id)];
  return x !== undefined && y !== undefined ? x - y : a.id.localeCompare(b.id);
};

export function start(root: string, args: string[]): Promise<unknown> {
  installExits();
  const runtimeRequire = createRequire(path.join(root, "package.json"));
  globalThis.__mcLoad = async (file) => {
    const load = modules[path.relative(root, file).split(path.sep).join("/")];
    // A module the bundle does not have (a command added since it was built) loads from its file.
    return load ? load() : runtimeRequire(file);
  };
  globalThis.__mcFileUrl = (relative) => pathToFileURL(path.join(root, relative)).href;
  return execute({ args, loadOptions: { root } });
}

// Only oclif (imported above) is evaluated into the snapshot. Evaluating zod and the shared schemas
// there too made `mc status` no faster and `mc version` ~35 ms slower: a bigger heap to deserialize.
if (v8.startupSnapshot.isBuildingSnapshot()) {
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    // Modules loaded from files after the start (undici: network modules cannot be in a snapshot).
    module.enableCompileCache?.();
    // `node --snapshot-blob <root>/dist/fast/mc.blob -- ARGS` (bin/run.js): the root from the blob's path.
    const blob = process.execArgv[process.execArgv.indexOf("--snapshot-blob") + 1] ?? "";
    start(path.resolve(path.dirname(blob), "..", ".."), process.argv.slice(1));
  });
}
