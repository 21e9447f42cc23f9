/**
 * Builds mc's fast start-up path into dist/fast (run by the package's build, after `oclif manifest`):
 *
 * 1. mc.cjs — one minified CommonJS bundle of the launcher, oclif and every command, hook and plugin
 *    command that oclif's config lists (read from the manifests here, so a new command is in the next
 *    build without a list to keep). Command modules are wrapped lazily: a run evaluates only its own.
 * 2. mc.blob — that bundle inside a V8 startup snapshot with oclif already evaluated, for this exact
 *    Node (`node` links to its binary, node-version names it); bin/run.js uses it only with that binary.
 *
 * Neither is required: when a step fails the launcher falls back (blob → bundle → the plain build),
 * so a failure here warns and removes the step's output instead of failing the build.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, realpath, rename, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Config } from "@oclif/core";
import { build, type Plugin } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "dist", "fast");
const bundle = path.join(out, "mc.cjs");
const blob = path.join(out, "mc.blob");
const stamp = path.join(out, "node-version");
/** A link to the node binary that built the snapshot: bin/run.js uses the snapshot only with that file. */
const nodeLink = path.join(out, "node");

interface Loadable {
  /** Every module oclif may load by path (commands of every plugin, hooks, a help class), keyed relative to the CLI's root. */
  files: Map<string, string>;
  /** Every command id in oclif's order (it sorts them with localeCompare). */
  ids: string[];
}

async function loadable(): Promise<Loadable> {
  const config = await Config.load(root);
  const files = new Map<string, string>();
  const add = (file: string | undefined) => {
    if (file) files.set(path.relative(root, file).split(path.sep).join("/"), file);
  };
  for (const plugin of config.getPluginsList()) {
    for (const command of plugin.commands) {
      if (command.relativePath) add(path.join(plugin.root, ...command.relativePath));
    }
    for (const hooks of Object.values(plugin.hooks ?? {})) {
      for (const hook of hooks) add(resolveFile(path.join(plugin.root, typeof hook === "string" ? hook : hook.target)));
    }
  }
  const help = config.pjson.oclif.helpClass;
  if (help) add(resolveFile(path.join(root, typeof help === "string" ? help : help.target)));
  if (files.size === 0) throw new Error("oclif's config lists no commands (is oclif.manifest.json built?)");
  return { files, ids: config.getPluginsList().flatMap((plugin) => plugin.commands.map((command) => command.id)) };
}

function resolveFile(file: string): string | undefined {
  return [file, `${file}.js`, `${file}.cjs`, path.join(file, "index.js")].find(
    (candidate) => existsSync(candidate) && candidate.match(/\.c?js$/),
  );
}

/** `mc:modules`: each loadable module behind its own import(), which esbuild turns into a lazy wrapper; the ids' order. */
function modulesPlugin({ files, ids }: Loadable): Plugin {
  return {
    name: "mc-modules",
    setup(b) {
      b.onResolve({ filter: /^mc:modules$/ }, () => ({ path: "mc:modules", namespace: "mc" }));
      b.onLoad({ filter: /.*/, namespace: "mc" }, () => ({
        contents: `export const modules = {\n${[...files]
          .map(([key, file]) => `  ${JSON.stringify(key)}: () => import(${JSON.stringify(file)}),`)
          .join("\n")}\n};\nexport const commandOrder = ${JSON.stringify(ids)};\n`,
        resolveDir: root,
        loader: "js",
      }));
    },
  };
}

/**
 * oclif loads commands with `import(url)` (or `require`), which a bundle cannot follow and a snapshot
 * cannot run: its three loads go through the bundle's loader instead (globalThis.__mcLoad, entry.ts,
 * which also loads CommonJS and ES files the bundle lacks). ESM files
 * that read `import.meta.url` get their real path back at run time, wherever the checkout is.
 */
function rewritesPlugin(): Plugin {
  return {
    name: "mc-rewrites",
    setup(b) {
      b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]module-loader\.js$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        const call = "isESM ? await import((0, node_url_1.pathToFileURL)(filePath).href) : require(filePath)";
        const count = source.split(call).length - 1;
        if (count !== 3) throw new Error(`@oclif/core's module-loader.js changed: ${count} of its loads where 3 were expected`);
        return { contents: source.replaceAll(call, "await globalThis.__mcLoad(filePath)"), loader: "js" };
      });
      // A plugin's commands are sorted with localeCompare, whose first call loads ICU's collation data:
      // 30-90 ms of every start here. Ids known at build time compare by their build-time rank instead.
      b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        const sort = ".sort((a, b) => a.id.localeCompare(b.id))";
        if (!source.includes(sort)) throw new Error("@oclif/core's config/plugin.js changed: its command sort is not there");
        return { contents: source.replace(sort, ".sort(globalThis.__mcCompareIds)"), loader: "js" };
      });
      // oclif matches each dependency against each `plugins` entry with minimatch, which compiles the
      // pattern into a regular expression every call (~15 ms here); an entry without glob syntax can
      // only match itself (extglobs such as @(…) need a parenthesis, negation a leading !).
      b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin-loader\.js$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        const match = "(0, minimatch_1.minimatch)(p, w)";
        if (!source.includes(match)) throw new Error("@oclif/core's config/plugin-loader.js changed: its plugin match is not there");
        return { contents: source.replace(match, `(/[*?[\\]{}()!#\\\\]/.test(w) ? ${match} : p === w)`), loader: "js" };
      });
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        if (!source.includes("import.meta.url")) return undefined;
        const relative = JSON.stringify(path.relative(root, args.path).split(path.sep).join("/"));
        return { contents: source.replaceAll("import.meta.url", `globalThis.__mcFileUrl(${relative})`), loader: "js" };
      });
    },
  };
}

/**
 * Modules that read the terminal and the environment as they load (colour support, DEBUG): oclif
 * requires them at its top level, which runs while the snapshot is built, and their answers would be
 * the build's. Each is replaced by a stand-in that loads the real module on first use, at run time;
 * one used while the snapshot is built fails that build (mc then starts from the bundle).
 */
const LOADED_AT_RUN_TIME = /^(ansis|supports-color|debug)$/;

/**
 * oclif makes a `debug` logger per plugin and calls it all along (~10-15 ms to load debug, which also
 * loads supports-color): until DEBUG is set or `enable()` is called every logger is off, so the
 * stand-in's loggers do nothing until then, and load the real one after.
 */
const QUIET_DEBUG = `const quiet = () => real === undefined && !process.env.DEBUG;
const logger = (args) => {
  let instance;
  const get = () => (instance ??= Reflect.apply(load(), undefined, args));
  return new Proxy(() => {}, {
    apply: (_, self, values) => (quiet() ? undefined : Reflect.apply(get(), self, values)),
    get: (_, key) => (key === "enabled" && quiet() ? false : Reflect.get(get(), key)),
    set: (_, key, value) => Reflect.set(get(), key, value),
  });
};`;

function runTimePlugin(): Plugin {
  const requireReal = createRequire(import.meta.url);
  return {
    name: "mc-run-time",
    setup(b) {
      b.onResolve({ filter: LOADED_AT_RUN_TIME }, async (args) => {
        if (args.pluginData === "real") return undefined;
        const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: "real" });
        if (real.errors.length > 0) return { errors: real.errors };
        // The stand-in is CommonJS whichever entry (require or import) the real module resolved to.
        return { path: `${real.path}.run-time.cjs`, namespace: "mc-run-time", pluginData: { name: args.path, real: real.path } };
      });
      b.onLoad({ filter: /.*/, namespace: "mc-run-time" }, (args) => {
        const { name, real } = args.pluginData as { name: string; real: string };
        const debug = name === "debug";
        return {
          contents: `const v8 = require("node:v8");
let real;
const load = () => {
  if (v8.startupSnapshot.isBuildingSnapshot()) throw new Error(${JSON.stringify(`${real} was used while the snapshot was built`)});
  return (real ??= require(${JSON.stringify(real)}));
};
${debug ? QUIET_DEBUG : ""}
module.exports = new Proxy(() => {}, {
  get: (_, key) => (key === "__esModule" ? ${Boolean(requireReal(real).__esModule)} : Reflect.get(load(), key)),
  has: (_, key) => Reflect.has(load(), key),
  // esbuild's interop copies the named exports an ES module imports from CommonJS by listing them.
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
    return descriptor && { ...descriptor, configurable: true };
  },
  apply: (_, self, args) => ${debug ? "(quiet() ? logger(args) : Reflect.apply(load(), self, args))" : "Reflect.apply(load(), self, args)"},
});
`,
          resolveDir: path.dirname(real),
          loader: "js",
        };
      });
    },
  };
}

async function buildBundle(): Promise<void> {
  const modules = await loadable();
  const result = await build({
    entryPoints: [path.join(root, "fast", "entry.ts")],
    outfile: bundle,
    write: false,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    minify: true,
    keepNames: true,
    // Optional peers that none of mc's code paths load.
    external: ["typescript", "ts-node", "bufferutil", "utf-8-validate"],
    plugins: [modulesPlugin(modules), rewritesPlugin(), runTimePlugin()],
    // `node --build-snapshot` runs the bundle as a plain script, without CommonJS's `module`.
    banner: { js: 'var module = typeof module === "object" ? module : { exports: {} };' },
    logLevel: process.env.MC_FAST_LOG === "1" ? "warning" : "error",
  });
  await replace(bundle, (file) => writeFile(file, result.outputFiles[0]?.contents ?? ""));
  console.log(`fast path: bundle with ${modules.files.size} commands and hooks`);
}

/** Writes a file beside `file` and renames it over: an mc starting meanwhile reads the old one or the new one whole. */
async function replace(file: string, write: (temporary: string) => Promise<void> | void): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await write(temporary);
    await rename(temporary, file);
  } finally {
    await rm(temporary, { force: true });
  }
}

function snapshot(file: string): void {
  const result = spawnSync(process.execPath, ["--snapshot-blob", file, "--build-snapshot", bundle], {
    cwd: out,
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`node --build-snapshot exited ${result.status}: ${result.stderr.trim().split("\n").slice(-4).join(" ").slice(-600)}`);
}

await mkdir(out, { recursive: true });
try {
  await buildBundle();
} catch (error) {
  await rm(out, { recursive: true, force: true });
  console.warn(`fast path: no bundle, mc starts from the plain build (${(error as Error).message})`);
  process.exit(0);
}
// An mc starting meanwhile keeps using the previous snapshot while it matches the link, so a
// rebuild does not make it fall back; the link goes first when the node changed.
const node = await realpath(process.execPath);
try {
  const temporary = `${blob}.${process.pid}.tmp`;
  try {
    snapshot(temporary);
    if ((await realpath(nodeLink).catch(() => undefined)) !== node) await rm(nodeLink, { force: true });
    await rename(temporary, blob);
  } finally {
    await rm(temporary, { force: true });
  }
  await replace(stamp, (file) => writeFile(file, `${process.version}\n`));
  await replace(nodeLink, (file) => symlink(node, file));
  console.log(`fast path: snapshot for node ${process.version}`);
} catch (error) {
  await Promise.all([blob, nodeLink, stamp].map((file) => rm(file, { force: true })));
  console.warn(`fast path: no snapshot, mc starts from the bundle (${(error as Error).message})`);
}
