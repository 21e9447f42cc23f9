import type { QuotaUpdate } from "@minicloud/shared";
import { Flags } from "@oclif/core";

/** The quota flags shared by `tenants create` and `tenants quota`; values are checked by the shared schema. */
export const quotaFlags = {
  "max-instances": Flags.string({ description: "most instances running at once" }),
  "max-cpus": Flags.string({ description: "most CPUs reserved at once, e.g. 4 or 1.5" }),
  "max-memory": Flags.string({ description: "most memory reserved at once, e.g. 4g" }),
  "max-storage": Flags.string({ description: "most storage (volumes, snapshots, writable root filesystems), e.g. 10g" }),
  "max-apps": Flags.string({ description: "most apps, stopped ones (count 0) included" }),
};

export function quotaUpdateFrom(flags: Partial<Record<keyof typeof quotaFlags, string>>): QuotaUpdate {
  const update: QuotaUpdate = {};
  if (flags["max-instances"] !== undefined) {
    update.maxInstances = /^\d+$/.test(flags["max-instances"]) ? Number(flags["max-instances"]) : Number.NaN;
  }
  if (flags["max-cpus"] !== undefined) update.maxCpus = flags["max-cpus"];
  if (flags["max-memory"] !== undefined) update.maxMemory = flags["max-memory"];
  if (flags["max-storage"] !== undefined) update.maxStorage = flags["max-storage"];
  if (flags["max-apps"] !== undefined) update.maxApps = /^\d+$/.test(flags["max-apps"]) ? Number(flags["max-apps"]) : Number.NaN;
  return update;
}
