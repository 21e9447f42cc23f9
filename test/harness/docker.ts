import { PassThrough } from "node:stream";
import Docker from "dockerode";

export const docker = new Docker();

/** Whether the engine has an image by this name or id. */
export function imageExists(image: string): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

export async function containersOf(prefix: string, extra: string[] = []) {
  return docker.listContainers({ all: true, filters: { label: [`minicloud.prefix=${prefix}`, ...extra] } });
}

export async function networksOf(prefix: string) {
  return docker.listNetworks({ filters: { label: [`minicloud.prefix=${prefix}`] } });
}

/** Removes every Docker object a test daemon created: by its prefix label, nothing else. */
export async function removeAllOf(prefix: string): Promise<void> {
  for (const container of await containersOf(prefix)) {
    await docker
      .getContainer(container.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
  for (const image of await docker.listImages({ filters: { label: [`minicloud.prefix=${prefix}`] } })) {
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  for (const network of await networksOf(prefix)) {
    await docker
      .getNetwork(network.Id)
      .remove()
      .catch(() => undefined);
  }
}

/** Runs a command in a container and returns its output and exit code (like `docker exec`). */
export async function execIn(containerId: string, command: string[]): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const output = new PassThrough();
  let text = "";
  output.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  docker.modem.demuxStream(stream, output, output);
  await new Promise((resolve) => stream.on("end", resolve));
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output: text };
}
