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
