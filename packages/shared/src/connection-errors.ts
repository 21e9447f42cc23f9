/** The daemon could not be reached at all (as opposed to answering with an error). */
export class ConnectionError extends Error {
  readonly host: string;

  constructor(message: string, host: string) {
    super(message);
    this.name = "ConnectionError";
    this.host = host;
  }
}

/** The pinned certificate fingerprint does not match what the server presented. */
export class CertificateMismatchError extends Error {
  constructor(expected: string, actual: string) {
    super(
      `the daemon's certificate changed: expected ${expected}, got ${actual}. If the host really rotated its certificate, run \`mc login\` again with --fingerprint ${actual}`,
    );
    this.name = "CertificateMismatchError";
  }
}

/** A failure to connect as users see it (WebSocket clients too): where, why, and what to do. */
export function unreachableError(host: string, error: unknown): Error {
  if (error instanceof CertificateMismatchError) return error;
  const code = (error as { code?: string }).code ?? "";
  const reason = error instanceof Error ? error.message : String(error);
  const hint = host.startsWith("unix://") ? "run `mc daemon start`" : "check the host with `mc login --host …` and that mcd runs there";
  return new ConnectionError(`daemon not reachable at ${host} (${code || reason}) — ${hint}`, host);
}
