/** Dependency-free, so `mc version` loads nothing else. */
export const VERSION = "0.1.0";
