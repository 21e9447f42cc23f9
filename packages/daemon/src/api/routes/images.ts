import {
  ApiError,
  checkImageReference,
  publishRequestSchema,
  pullRequestSchema,
  registryHostSchema,
  registryLoginSchema,
} from "@minicloud/shared";
import { Hono } from "hono";
import type { RegistryCredentials } from "../../images/credentials.ts";
import type { ImageService } from "../../images/service.ts";
import type { ApiEnv } from "../env.ts";
import { ndjsonResponse } from "../ndjson.ts";
import { requireAdmin, type TenantOf } from "../scope.ts";
import { jsonBody } from "../validate.ts";

export interface ImageRouteDeps {
  images: ImageService;
  credentials: RegistryCredentials;
  tenantOf: TenantOf;
}

/** Images (pull, list, prune; publishing is the admin's) and the tenant's registry logins. */
export function imageRoutes({ images, credentials, tenantOf }: ImageRouteDeps) {
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/images", async (c) => c.json({ images: await images.list(tenantOf(c)) }));

  // The answer streams the pull's progress as NDJSON; closing it cancels the pull.
  routes.post("/v1/images/pull", async (c) => {
    const tenant = tenantOf(c);
    const body = await jsonBody(c, pullRequestSchema);
    return ndjsonResponse(images.pullStream(tenant, body.image, body.pull ?? "missing"));
  });

  routes.post("/v1/images/prune", async (c) => c.json(await images.prune(tenantOf(c))));

  routes.get("/v1/images/published", (c) => c.json({ images: images.published() }));

  routes.post("/v1/images/published", async (c) => {
    requireAdmin(c);
    const body = await jsonBody(c, publishRequestSchema);
    return c.json(await images.publish(body.image), 201);
  });

  routes.delete("/v1/images/published", async (c) => {
    requireAdmin(c);
    const image = c.req.query("image") ?? "";
    const problem = checkImageReference(image);
    if (problem) throw new ApiError("invalid_input", `image: ${problem}`, [{ field: "image", message: problem }]);
    await images.unpublish(image);
    return c.json({ ok: true as const });
  });

  routes.get("/v1/registry/credentials", (c) => c.json({ credentials: credentials.list(tenantOf(c)) }));

  routes.put("/v1/registry/credentials/:host", async (c) => {
    const tenant = tenantOf(c);
    const host = registryHost(c.req.param("host"));
    return c.json(await credentials.login(tenant, host, await jsonBody(c, registryLoginSchema)));
  });

  routes.delete("/v1/registry/credentials/:host", async (c) => {
    await credentials.logout(tenantOf(c), registryHost(c.req.param("host")));
    return c.json({ ok: true as const });
  });

  return routes;
}

function registryHost(host: string): string {
  const checked = registryHostSchema.safeParse(host);
  if (!checked.success)
    throw new ApiError("invalid_input", `host: ${checked.error.issues[0]?.message}`, [{ field: "host", message: "invalid" }]);
  return host;
}
