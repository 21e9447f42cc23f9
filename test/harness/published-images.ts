import type { MinicloudClient } from "@minicloud/shared/client";
import { docker } from "./docker.ts";

/** The host images setup imports (the base, the sample, the fixtures) that tests run as any tenant. */
const SHARED_REPOSITORIES = /^(minicloud\/(base|hello)|minicloud-fixture\/[a-z0-9-]+):/;

/**
 * Publishes them to every tenant of a test daemon, as the admin does on a machine (`mc images
 * publish`): engines set up before setup labelled them `minicloud.published` have them unlabelled.
 */
export async function publishSharedImages(client: MinicloudClient): Promise<void> {
  const tags = (await docker.listImages()).flatMap((image) => image.RepoTags ?? []).filter((tag) => SHARED_REPOSITORIES.test(tag));
  for (const tag of tags) await client.images.publish(tag);
}
