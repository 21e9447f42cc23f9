import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageInfo, Runtime } from "../runtime/runtime.ts";
import { usableImage } from "./image-access.ts";

/** Only inspectImage is used; the engine resolves a 2-character id prefix as it does. */
function engineWith(images: Record<string, ImageInfo>): Runtime {
  return {
    inspectImage: async (reference: string) =>
      images[reference] ?? Object.values(images).find((i) => i.names.includes(`${reference}:latest`)),
  } as unknown as Runtime;
}

const mine: ImageInfo = { tenant: "acme", exposedPorts: [], names: ["mc-images/acme/web:1"] };
const theirs: ImageInfo = { tenant: "beta", exposedPorts: [], names: ["mc-images/beta/web:1"] };
const host: ImageInfo = { tenant: null, exposedPorts: [], names: ["minicloud/base:latest", "busybox:latest"] };

test("a tenant uses its own images and the host's, by name only", async () => {
  const engine = engineWith({ "mc-images/acme/web:1": mine, "mc-images/beta/web:1": theirs, "minicloud/base:latest": host, "3f": host });
  assert.equal(await usableImage(engine, "acme", "mc-images/acme/web:1"), mine);
  assert.equal(await usableImage(engine, "acme", "minicloud/base:latest"), host);
  assert.equal(await usableImage(engine, "acme", "busybox"), host, "an implicit :latest");
  assert.equal(await usableImage(engine, "acme", "mc-images/beta/web:1"), undefined, "another tenant's image, by its name");
  assert.equal(await usableImage(engine, "acme", "3f"), undefined, "an id prefix reaches nothing, not even a host image");
});
