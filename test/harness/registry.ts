import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./daemon.ts";
import { docker } from "./docker.ts";

/**
 * A real `docker-registry` (Debian's CNCF distribution) on a free loopback port, with its own
 * storage dir and, when users are given, htpasswd (bcrypt) auth: the stand-in for an external
 * private registry. The engine pulls from 127.0.0.1 over plain HTTP (loopback is an insecure
 * registry by default). `stop()` kills it by pid and removes its files; call it in after().
 */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, as image references and `mc registry login` name it. */
  host: string;
  port: number;
  dir: string;
  /** Runs the real docker CLI with a config dir of its own (its logins never touch the user's). */
  docker(args: string[], input?: string): { code: number; stdout: string; stderr: string };
  /** `docker login` to this registry as one of its users (in the registry's own docker config). */
  login(username: string, password: string): void;
  /** Builds a small image with a fresh random layer and pushes it as `host/repository:tag`; the local copy is removed. */
  pushFresh(repository: string, tag: string, baseImage: string, bytes?: number): string;
  stop(): Promise<void>;
}

export async function startRegistry(users: Record<string, string> = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const pushHost = `localhost:${port}`;
  const auth = Object.keys(users).length > 0;
  if (auth)
    await writeFile(
      path.join(dir, "htpasswd"),
      Object.entries(users)
        .map(([u, p]) => `${u}:${bcrypt(p)}\n`)
        .join(""),
    );
  await writeFile(
    path.join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: { level: warn }",
      `storage: { filesystem: { rootdirectory: ${path.join(dir, "data")} }, delete: { enabled: true } }`,
      `http: { addr: "${host}", secret: test-secret }`,
      ...(auth ? [`auth: { htpasswd: { realm: test-registry, path: ${path.join(dir, "htpasswd")} } }`] : []),
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("/usr/bin/docker-registry", ["serve", path.join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk) => (output += chunk));
  const pushed = new Set<string>();
  const dockerConfig = path.join(dir, "docker-config");
  const runDocker = (args: string[], input?: string) => {
    const result = spawnSync("docker", args, { input, env: { ...process.env, DOCKER_CONFIG: dockerConfig }, encoding: "utf8" });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  const must = (args: string[], input?: string) => {
    const result = runDocker(args, input);
    if (result.code !== 0) throw new Error(`docker ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
  };
  const registry: TestRegistry = {
    host,
    port,
    dir,
    docker: runDocker,
    login: (username, password) => {
      for (const name of [host, pushHost]) must(["login", name, "--username", username, "--password-stdin"], password);
    },
    pushFresh: (repository, tag, baseImage, bytes = 256 * 1024) => {
      // Pushed under the registry's other name (localhost): the engine's 127.0.0.1 names, which the
      // daemon pulled, stay as they were, as they would for an image pushed from another machine.
      const local = `${pushHost}/${repository}:${tag}`;
      must(["build", "-q", "-t", local, "-"], `FROM ${baseImage}\nRUN head -c ${bytes} /dev/urandom > /payload-${Date.now()}\n`);
      pushed.add(local);
      must(["push", "-q", local]);
      // The engine must lack it: only the registry keeps it.
      must(["rmi", local]);
      return `${host}/${repository}:${tag}`;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      }
      // What it pushed, and what engines pulled from it (the daemon under test pulls by these names).
      for (const reference of pushed) runDocker(["rmi", "-f", reference]);
      const names = (await docker.listImages({ digests: true })).filter((image) =>
        [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].some(
          (name) => name.startsWith(`${host}/`) || name.startsWith(`${pushHost}/`),
        ),
      );
      for (const image of names) runDocker(["rmi", "-f", image.Id]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const status = await fetch(`http://${host}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200 || status === 401) return registry;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await registry.stop();
  throw new Error(`docker-registry did not start on ${host}: ${output}`);
}

/**
 * A TCP listener that accepts and never answers: a registry that hangs. With `afterHeaders`, it
 * sends a 200's headers and the start of a body, then stalls.
 */
export async function startHangingListener(options: { afterHeaders?: boolean } = {}): Promise<{ host: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    if (options.afterHeaders)
      socket.once("data", () => socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"schemaVersion":'));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A bcrypt hash as docker-registry's htpasswd wants it: `htpasswd -B` when installed, else Python's crypt (libxcrypt). */
function bcrypt(password: string): string {
  const htpasswd = spawnSync("htpasswd", ["-nbB", "u", password], { encoding: "utf8" });
  if (htpasswd.status === 0) return htpasswd.stdout.trim().slice(2);
  const python = spawnSync(
    "python3",
    ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))"],
    { input: password, encoding: "utf8" },
  );
  if (python.status !== 0 || !python.stdout.startsWith("$2"))
    throw new Error(`no bcrypt here (htpasswd or python3 crypt): ${python.stderr}`);
  return python.stdout.trim();
}
