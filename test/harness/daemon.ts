import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { removeHostFirewall } from "@minicloud/daemon/firewall";
import { readPersistedState } from "@minicloud/daemon/store";
import { MinicloudClient } from "@minicloud/shared/client";
import { removeAllOf } from "./docker.ts";
import { MCD_BIN } from "./paths.ts";
import { publishSharedImages } from "./published-images.ts";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

export interface TestDaemonOptions {
  listenHost?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A complete, isolated mcd: its own data dir, socket, TCP port and Docker prefix, so tests never
 * touch a user's daemon or each other's objects.
 */
export class TestDaemon {
  readonly dir: string;
  readonly prefix: string;
  readonly port: number;
  readonly listenHost: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly dnsPort: number;
  /** The built-in registry's port (127.0.0.1). */
  readonly registryPort: number;
  private process: ChildProcess | undefined;
  output = "";

  private constructor(dir: string, prefix: string, listenHost: string, ports: number[]) {
    this.dir = dir;
    this.prefix = prefix;
    this.listenHost = listenHost;
    [this.port, this.httpPort, this.httpsPort, this.dnsPort, this.registryPort] = ports as [number, number, number, number, number];
  }

  static async create(options: TestDaemonOptions = {}): Promise<TestDaemon> {
    return new TestDaemon(
      await mkdtemp(path.join(os.tmpdir(), "mcd-test-")),
      `t${randomBytes(4).toString("hex")}`,
      options.listenHost ?? "127.0.0.1",
      [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()],
    );
  }

  /** The running mcd's pid (for reading its /proc figures). */
  get pid(): number {
    const pid = this.process?.pid;
    if (pid === undefined) throw new Error("mcd is not running");
    return pid;
  }

  get socket(): string {
    return path.join(this.dir, "mcd.sock");
  }

  get tcpUrl(): string {
    return `${this.listenHost === "127.0.0.1" ? "http" : "https"}://127.0.0.1:${this.port}`;
  }

  /** Environment for `mc` and `mcd` that points at this daemon only. */
  get env(): NodeJS.ProcessEnv {
    return {
      MC_DATA_DIR: this.dir,
      MC_SOCKET: this.socket,
      MC_LISTEN: `${this.listenHost}:${this.port}`,
      MC_PREFIX: this.prefix,
      MC_HTTP_PORT: String(this.httpPort),
      MC_HTTPS_PORT: String(this.httpsPort),
      MC_DNS_PORT: String(this.dnsPort),
      MC_REGISTRY_PORT: String(this.registryPort),
      // curl resolves *.localhost to loopback: ingress URLs work as printed, no resolver setup.
      MC_DOMAIN: "localhost",
      MC_HEALTH_INTERVAL: "1",
      MC_HEALTH_TIMEOUT: "6",
      MC_LOG_LEVEL: "warn",
      XDG_CONFIG_HOME: path.join(this.dir, "config"),
    };
  }

  async adminKey(): Promise<string> {
    return (await readFile(path.join(this.dir, "admin.key"), "utf8")).trim();
  }

  /** The state a daemon would find at start (state.json and its journal), read while this one runs. */
  async persistedState<T>(): Promise<T> {
    return (await readPersistedState(this.dir)) as T;
  }

  client(tenant?: string): MinicloudClient {
    return new MinicloudClient({ host: `unix://${this.socket}`, tenant });
  }

  async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const child = spawn(process.execPath, [MCD_BIN], {
      // Every test daemon checks that the state's change tracking misses nothing.
      env: { ...process.env, ...this.env, MC_STORE_VERIFY: "1", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.process = child;
    // Kept next to the data dir's other logs, so a failed run can be read afterwards.
    const log = createWriteStream(path.join(this.dir, "mcd.out"), { flags: "a" });
    child.stdout?.on("data", (chunk) => {
      this.output += chunk;
      log.write(chunk);
    });
    child.stderr?.on("data", (chunk) => {
      this.output += chunk;
      log.write(chunk);
    });
    child.once("exit", () => log.end());
    const deadline = Date.now() + 20_000;
    const client = this.client();
    try {
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`mcd exited with ${child.exitCode}: ${this.output}`);
        if (
          await client.health().then(
            () => true,
            () => false,
          )
        ) {
          await publishSharedImages(client);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`mcd did not become healthy: ${this.output}`);
    } finally {
      await client.close();
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  /** The pid of a supervised process (caddy, coredns) from the daemon's pid file. */
  async childPid(name: "caddy" | "coredns" | "registry"): Promise<number> {
    return Number((await readFile(path.join(this.dir, "run", `${name}.pid`), "utf8")).trim());
  }

  /** `http://<app>.<tenant>.localhost:<port>` on this daemon's ingress. */
  url(app: string, tenant = "default", scheme: "http" | "https" = "http"): string {
    return `${scheme}://${app}.${tenant}.localhost:${scheme === "http" ? this.httpPort : this.httpsPort}`;
  }

  /** Stops the daemon (SIGTERM, or SIGKILL for a crash) and starts it again on the same data dir and ports. */
  async restart(signal: NodeJS.Signals = "SIGTERM", extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.stop(signal);
    await this.start(extraEnv);
  }

  /** Stops the daemon and removes its Docker objects and files, also after a failed test. */
  async destroy(): Promise<void> {
    await this.stop("SIGKILL").catch(() => undefined);
    // Caddy and CoreDNS outlive a killed daemon by design (the next one takes over); tests end them.
    for (const file of await readdir(path.join(this.dir, "run")).catch(() => [])) {
      const pid = Number((await readFile(path.join(this.dir, "run", file), "utf8").catch(() => "")).trim());
      if (pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    await removeAllOf(this.prefix);
    // The host firewall rules outlive a daemon by design (its containers keep running); tests remove them.
    await removeHostFirewall(this.dir).catch(() => undefined);
    await unmountUnder(this.dir);
    // MC_TEST_LOG_DIR keeps the daemon's, Caddy's and CoreDNS' logs of every test daemon for later reading.
    const keep = process.env.MC_TEST_LOG_DIR;
    if (keep) {
      await cp(path.join(this.dir, "mcd.out"), path.join(keep, `${this.prefix}.mcd.log`)).catch(() => undefined);
      await cp(path.join(this.dir, "logs"), path.join(keep, `${this.prefix}.logs`), { recursive: true }).catch(() => undefined);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Volumes are loop mounts under the data dir that outlive the daemon by design; tests release them. */
export async function unmountUnder(dir: string): Promise<void> {
  const table = await readFile("/proc/self/mounts", "utf8").catch(() => "");
  const points = table
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    await new Promise<void>((resolve) => execFile("umount", ["-l", point], () => resolve()));
  }
}
