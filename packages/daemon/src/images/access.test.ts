import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageInfo, Runtime } from "../runtime/runtime.ts";
import { emptyState } from "../store/schema.ts";
import { BUILT_BY_TENANT, ImageAccess, publishedToAll, pulledByTenant } from "./access.ts";

/** Only inspectImage is used; the engine resolves a 2-character id prefix as it does. */
function engineWith(images: Record<string, ImageInfo>): Runtime {
  return {
    inspectImage: async (reference: string) =>
      images[reference] ?? Object.values(images).find((i) => i.names.includes(`${reference}:latest`) || i.id === reference),
  } as unknown as Runtime;
}

const id = (n: number) => `sha256:${String(n).repeat(64)}`;
const mine: ImageInfo = { id: id(1), tenant: "acme", exposedPorts: [], names: ["mc-images/acme/web:1"] };
const theirs: ImageInfo = { id: id(2), tenant: "beta", exposedPorts: [], names: ["mc-images/beta/web:1"] };
const host: ImageInfo = { id: id(3), tenant: null, exposedPorts: [], names: ["minicloud/base:latest", "busybox:latest"] };
const labelled: ImageInfo = { id: id(4), tenant: null, published: true, exposedPorts: [], names: ["minicloud/hello:latest"] };
const pulled: ImageInfo = { id: id(5), tenant: null, exposedPorts: [], names: ["127.0.0.1:5000/a/app:1", `127.0.0.1:5000/a/app@${id(6)}`] };

test("a tenant runs its builds, its pulls and published images, by name only", async () => {
  const state = emptyState();
  const access = new ImageAccess(
    engineWith({
      "mc-images/acme/web:1": mine,
      "mc-images/beta/web:1": theirs,
      "minicloud/base:latest": host,
      "minicloud/hello:latest": labelled,
      "127.0.0.1:5000/a/app:1": pulled,
      [`127.0.0.1:5000/a/app@${id(6)}`]: pulled,
      "3f": host,
    }),
    [BUILT_BY_TENANT, pulledByTenant(() => state), publishedToAll(() => state)],
  );
  assert.equal(await access.usable("acme", "mc-images/acme/web:1"), mine);
  assert.equal(await access.usable("acme", "mc-images/beta/web:1"), undefined, "another tenant's image, by its name");
  assert.equal(await access.usable("acme", "minicloud/base:latest"), undefined, "an unpublished host image");
  assert.equal(await access.usable("acme", "minicloud/hello:latest"), labelled, "labelled published by setup");
  state.publishedImages.push({ reference: "minicloud/base:latest", id: host.id as string, publishedAt: "" });
  assert.equal(await access.usable("acme", "busybox"), host, "published, by another of its names, an implicit :latest");
  assert.equal(await access.usable("acme", "3f"), undefined, "an id prefix reaches nothing, not even a published image");
  assert.equal(await access.usable("beta", "127.0.0.1:5000/a/app:1"), undefined, "not pulled by beta");
  state.pulledImages.push({
    tenant: "acme",
    reference: "127.0.0.1:5000/a/app:1",
    digest: id(6),
    id: pulled.id as string,
    size: 1,
    pulledAt: "",
  });
  assert.equal(await access.usable("acme", `127.0.0.1:5000/a/app@${id(6)}`), pulled, "its pull, by digest");
  assert.equal(await access.usable("beta", `127.0.0.1:5000/a/app@${id(6)}`), undefined, "acme's pull grants beta nothing");
  assert.equal(await access.usableById("acme", pulled.id as string), pulled);
  assert.equal(await access.usableById("beta", pulled.id as string), undefined);
  access.addRule({ name: "everything", allows: () => true });
  assert.equal(await access.usable("acme", "mc-images/beta/web:1"), undefined, "no rule opens another tenant's build");
});
