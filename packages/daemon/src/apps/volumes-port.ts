import type { AppSpec } from "@minicloud/shared";

/** What apps need from volumes: checks before a deploy or scale, and the mounts of each container. */
export interface AppVolumes {
  /** Refuses volumes that are missing, busy elsewhere, or mounted by more than one instance; gives their data to the image's user. */
  prepare(tenant: string, spec: AppSpec): Promise<void>;
  /** The host mounts for one container of the spec (volumes mounted first if they are not). */
  hostMounts(tenant: string, spec: AppSpec): Promise<{ source: string; target: string }[]>;
}
