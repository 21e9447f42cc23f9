export interface RegistryConfigInput {
  port: number;
  storageDir: string;
  /** mcd's token endpoint (the Docker token protocol's realm). */
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** Where push notifications go, and the secret header that proves they come from this registry. */
  notifications: { url: string; secret: string };
  /** Signs the registry's upload state; stable, so uploads survive a restart. */
  httpSecret: string;
  /** Garbage collection runs with the registry read-only: pulls keep working, pushes wait. */
  readOnly: boolean;
}

/**
 * The registry's whole configuration (CNCF distribution 2.8). JSON is YAML, so it is written as
 * JSON: pure, unit-tested, and the same for the same input.
 */
export function registryConfig(input: RegistryConfigInput): string {
  const config = {
    version: "0.1",
    log: { level: "warn", formatter: "text", accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: input.storageDir },
      // Manifests may be deleted (an image over its tenant's quota), and the GC then frees their blobs.
      delete: { enabled: true },
      maintenance: {
        uploadpurging: { enabled: true, age: "168h", interval: "24h", dryrun: false },
        readonly: { enabled: input.readOnly },
      },
    },
    // Relative upload URLs: the same registry answers on loopback and behind the ingress.
    http: {
      addr: `127.0.0.1:${input.port}`,
      secret: input.httpSecret,
      relativeurls: true,
      headers: { "X-Content-Type-Options": ["nosniff"] },
    },
    auth: { token: { realm: input.realm, service: input.service, issuer: input.issuer, rootcertbundle: input.certFile } },
    notifications: {
      endpoints: [
        {
          name: "mcd",
          url: input.notifications.url,
          headers: { Authorization: [`Bearer ${input.notifications.secret}`] },
          timeout: "5s",
          threshold: 5,
          backoff: "1s",
          // Pushed manifests are what becomes `image.pushed`; pulls and blobs are noise here.
          ignore: { actions: ["pull", "mount"], mediatypes: ["application/octet-stream"] },
        },
      ],
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
