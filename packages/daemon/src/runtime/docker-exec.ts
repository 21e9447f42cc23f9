import { type Duplex, PassThrough, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { engineError, messageOf, statusOf } from "./engine-errors.ts";
import { takeFrames } from "./log-frames.ts";
import { type ExecOptions, type ExecSession, InstanceNotRunningError } from "./runtime.ts";

/** How long the engine may take to report an exec as ended after its output closed. */
const EXIT_POLL_ATTEMPTS = 40;
const EXIT_POLL_MS = 50;

/**
 * Creates and starts an exec: the argv as given, stdin/stdout/stderr attached, a TTY when asked.
 * No `User`, `Privileged` false and no capabilities: the process runs as the container's configured
 * user inside its cap-drop ALL, no-new-privileges sandbox, like its main process.
 */
export async function startExec(docker: Docker, containerId: string, options: ExecOptions): Promise<ExecSession> {
  let exec: Docker.Exec;
  try {
    exec = await docker.getContainer(containerId).exec({
      Cmd: options.command,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
      Privileged: false,
    });
  } catch (error) {
    if (statusOf(error) === 404 || statusOf(error) === 409) throw new InstanceNotRunningError(containerId, messageOf(error));
    throw engineError(error);
  }
  let connection: Duplex;
  try {
    connection = (await exec.start({ hijack: true, stdin: true, Tty: options.tty })) as Duplex;
  } catch (error) {
    if (statusOf(error) === 409) throw new InstanceNotRunningError(containerId, messageOf(error));
    throw engineError(error);
  }
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // Without a TTY the engine multiplexes both streams into one connection; with one, it is raw.
  connection.pipe(options.tty ? stdout : new FrameDemuxer(stdout, stderr));
  if (options.tty) stderr.end();
  // A reset connection ends the output instead of throwing: the exit code tells the rest.
  connection.on("error", () => {
    stdout.end();
    stderr.end();
  });
  const resize = async (cols: number, rows: number) => {
    if (options.tty) await exec.resize({ w: cols, h: rows });
  };
  if (options.tty && options.cols && options.rows) void initialSize(resize, options.cols, options.rows);
  return {
    stdin: connection,
    stdout,
    stderr,
    resize,
    async exitCode() {
      await Promise.all([finished(stdout).catch(() => undefined), finished(stderr).catch(() => undefined)]);
      return exitCodeOf(exec);
    },
    close: () => connection.destroy(),
  };
}

/** The engine refuses a resize until the process has started; the start call does not wait for that. */
async function initialSize(resize: (cols: number, rows: number) => Promise<void>, cols: number, rows: number): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      return await resize(cols, rows);
    } catch {
      await sleep(10 * attempt);
    }
  }
}

async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < EXIT_POLL_ATTEMPTS; attempt++) {
    try {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode ?? null;
    } catch {
      return null;
    }
    await sleep(EXIT_POLL_MS);
  }
  return null;
}

/** Splits the engine's multiplexed exec output into stdout and stderr, keeping backpressure. */
class FrameDemuxer extends Writable {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly outputs: { stdout: PassThrough; stderr: PassThrough };

  constructor(stdout: PassThrough, stderr: PassThrough) {
    super();
    this.outputs = { stdout, stderr };
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const { frames, rest } = takeFrames(Buffer.concat([this.buffered, chunk]));
    this.buffered = rest;
    const full = new Set<PassThrough>();
    for (const frame of frames) {
      const output = this.outputs[frame.stream];
      if (!output.write(frame.payload)) full.add(output);
    }
    if (full.size === 0) {
      done();
      return;
    }
    Promise.all([...full].map((output) => new Promise((resolve) => output.once("drain", resolve)))).then(() => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.outputs.stdout.end();
    this.outputs.stderr.end();
    done();
  }
}
