import { ApiError, DOCKER_HUB, type RegistryCredential, type RegistryLogin } from "@minicloud/shared";
import type { SealedStore } from "../secrets/sealed-store.ts";
import type { State } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { type BasicCredentials, RegistryError, verifyLogin } from "./registry-api.ts";

/** One spelling per registry: hosts are case-insensitive, and Docker Hub has three names. */
export function registryKey(host: string): string {
  const lower = host.toLowerCase();
  return lower === "index.docker.io" || lower === "registry-1.docker.io" ? DOCKER_HUB : lower;
}

/**
 * A tenant's registry logins. The password is sealed with the tenant's data key for
 * ["registry", host] (secrets/sealed-store.ts): it never is in state in plaintext, and no answer
 * carries it. A login is checked against the registry before it is stored.
 */
export class RegistryCredentials {
  private readonly store: Store;
  private readonly sealed: SealedStore;
  private builtIn: { host: string; credentialsFor(tenant: string): BasicCredentials } | undefined;

  constructor(store: Store, sealed: SealedStore) {
    this.store = store;
    this.sealed = sealed;
  }

  async login(tenant: string, host: string, login: RegistryLogin): Promise<RegistryCredential> {
    const key = registryKey(host);
    try {
      await verifyLogin(key, login);
    } catch (error) {
      // A host that is no registry (or none that answers) is as wrong as a refused password, like a pull from it.
      if (error instanceof RegistryError) {
        throw new ApiError("invalid_input", `${error.message}; nothing was stored`, [
          error.kind === "auth_failed"
            ? { field: "password", message: "refused by the registry" }
            : { field: "host", message: "not a registry that answers" },
        ]);
      }
      throw error;
    }
    await this.sealed.ensureTenant(tenant);
    const record = {
      tenant,
      host: key,
      username: login.username,
      sealed: this.sealed.seal(tenant, ["registry", key], login.password),
      createdAt: new Date().toISOString(),
    };
    await this.store.update((state) => {
      state.registryCredentials = [...state.registryCredentials.filter((c) => !(c.tenant === tenant && c.host === key)), record];
    });
    return { host: key, username: record.username, createdAt: record.createdAt };
  }

  list(tenant: string): RegistryCredential[] {
    return this.store.state.registryCredentials
      .filter((c) => c.tenant === tenant)
      .map((c) => ({ host: c.host, username: c.username, createdAt: c.createdAt }));
  }

  async logout(tenant: string, host: string): Promise<void> {
    const key = registryKey(host);
    if (!this.store.state.registryCredentials.some((c) => c.tenant === tenant && c.host === key))
      throw new ApiError("not_found", `no login to registry ${key} — see \`mc registry list\``);
    await this.store.update((state) => {
      state.registryCredentials = state.registryCredentials.filter((c) => !(c.tenant === tenant && c.host === key));
    });
  }

  /** The built-in registry (registry/): mcd makes each tenant's login to it, scoped to its namespace. */
  useBuiltIn(registry: { host: string; credentialsFor(tenant: string): BasicCredentials }): void {
    this.builtIn = registry;
  }

  /** The tenant's own credentials for a registry (opened only to hand to the registry and the engine). */
  for(tenant: string, host: string): BasicCredentials | undefined {
    const key = registryKey(host);
    if (this.builtIn && key === this.builtIn.host) return this.builtIn.credentialsFor(tenant);
    const record = this.store.state.registryCredentials.find((c) => c.tenant === tenant && c.host === key);
    if (!record) return undefined;
    return {
      username: record.username,
      password: this.sealed.open(tenant, ["registry", key], record.sealed, `the login to registry ${key}`),
    };
  }

  dropTenant(state: State, tenant: string): void {
    state.registryCredentials = state.registryCredentials.filter((c) => c.tenant !== tenant);
  }
}
