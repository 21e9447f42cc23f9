import Docker from "dockerode";

export const docker = new Docker();

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
