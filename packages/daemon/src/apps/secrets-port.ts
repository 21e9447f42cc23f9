import type { SecretSetRef } from "@minicloud/shared";
import type { State } from "../store/schema.ts";

/** What apps need of the secrets capability (secrets/service.ts). */
export interface AppSecrets {
  /** The app's latest secret set: what a deploy runs with. */
  current(tenant: string, app: string): SecretSetRef | undefined;
  /** A release's secrets, opened to start a container; a value that does not open is a clear error. */
  envOf(tenant: string, app: string, ref: SecretSetRef): Record<string, string>;
  /** After a rollback: the release's set becomes the latest. */
  restore(tenant: string, app: string, ref: SecretSetRef | undefined): Promise<void>;
  /** Inside a store update: the app's secrets go with it. */
  dropWith(state: State, tenant: string, app: string): void;
}
