import type { AppDomain } from "@minicloud/shared";
import type { State } from "../store/schema.ts";

/** What apps need from custom domains: an app's, for its view, and dropping them with the app. */
export interface AppDomains {
  ofApp(tenant: string, app: string): AppDomain[];
  /**
   * Call inside the store change that removes the app: its domains go in the same write, so none
   * outlives it or passes to a later app of the same name. Returns what to announce once committed.
   */
  dropWith(state: State, tenant: string, app: string): () => void;
}
