import type { AppVolumes } from "../apps/volumes-port.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { VolumeService } from "./service.ts";

/** Volumes as apps see them: checked before a deploy or scale, mounted into each container. */
export function appVolumes(volumes: VolumeService, runtime: Runtime): AppVolumes {
  return {
    async prepare(tenant, spec) {
      volumes.check(tenant, spec.name, spec.volumes, spec.count);
      if (spec.volumes?.length) await volumes.chownFor(tenant, spec.volumes, await runtime.imageUser(spec.image));
    },
    hostMounts: (tenant, spec) => volumes.hostMounts(tenant, spec.volumes),
  };
}
