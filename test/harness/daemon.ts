import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { MinicloudClient } from "@minicloud/shared/client";
import { removeAllOf } from "./docker.ts";
import { MCD_BIN } from "./paths.ts";

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
  /** Reuse another daemon's data dir, prefix and port (a restart). */
  reuse?: TestDaemon;
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
  private process: ChildProcess | undefined;
  output = "";

  private constructor(dir: string, prefix: string, port: number, listenHost: string) {
    this.dir = dir;
    this.prefix = prefix;
    this.port = port;
    this.listenHost = listenHost;
  }

  static async create(options: TestDaemonOptions = {}): Promise<TestDaemon> {
    const reuse = options.reuse;
    const daemon = reuse
      ? new TestDaemon(reuse.dir, reuse.prefix, reuse.port, reuse.listenHost)
      : new TestDaemon(
          await mkdtemp(path.join(os.tmpdir(), "mcd-test-")),
          `t${randomBytes(4).toString("hex")}`,
          await freePort(),
          options.listenHost ?? "127.0.0.1",
        );
    return daemon;
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
      MC_HEALTH_TIMEOUT: "6",
      MC_LOG_LEVEL: "warn",
      XDG_CONFIG_HOME: path.join(this.dir, "config"),
    };
  }

  async adminKey(): Promise<string> {
    return (await readFile(path.join(this.dir, "admin.key"), "utf8")).trim();
  }

  client(tenant?: string): MinicloudClient {
    return new MinicloudClient({ host: `unix://${this.socket}`, tenant });
  }

  async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const child = spawn(process.execPath, [MCD_BIN], {
      env: { ...process.env, ...this.env, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.process = child;
    child.stdout?.on("data", (chunk) => (this.output += chunk));
    child.stderr?.on("data", (chunk) => (this.output += chunk));
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
        )
          return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`mcd did not become healthy: ${this.output}`);
    } finally {
      await client.close();
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const child = this.process;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  /** Stops the daemon and removes its Docker objects and files, also after a failed test. */
  async destroy(): Promise<void> {
    await this.stop("SIGKILL").catch(() => undefined);
    await removeAllOf(this.prefix);
    await rm(this.dir, { recursive: true, force: true });
  }
}
