import assert from "node:assert/strict";
import { test } from "node:test";
import { dockerfileSources } from "./dockerfile-sources.ts";

test("every FROM and COPY --from that is not an earlier stage is a source image", () => {
  const text = [
    "# syntax comment",
    "FROM minicloud/base:latest AS build",
    "RUN echo hi \\",
    "  && echo there",
    "FROM --platform=linux/amd64 build",
    "COPY --from=build /a /a",
    "COPY --from=0 /b /b",
    "COPY --from=other/tool:1 /c /c",
    "from scratch",
  ].join("\n");
  assert.deepEqual(dockerfileSources(text), { images: ["minicloud/base:latest", "other/tool:1"] });
});

test("ARGs before the first FROM are substituted, build arguments first; an unresolved one is refused", () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile's own ${VAR} syntax, not a template
  const text = "ARG BASE=minicloud/base:latest\nARG TAG\nFROM ${BASE}\nFROM app:${TAG:-1}\nCOPY --from=$BASE /x /x\n";
  assert.deepEqual(dockerfileSources(text).images, ["minicloud/base:latest", "app:1", "minicloud/base:latest"]);
  assert.deepEqual(dockerfileSources(text, { BASE: "evil/private" }).images.slice(0, 1), ["evil/private"]);
  assert.match(dockerfileSources("FROM $NOPE\n").problem ?? "", /a variable with no value/);
});

test("a short hex id is just a reference here: the daemon resolves it by name or not at all", () => {
  assert.deepEqual(dockerfileSources("FROM 3f\n").images, ["3f"]);
});
