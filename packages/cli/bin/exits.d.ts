/** Exit codes for signals and a closed stdout/stderr (see exits.js). */
export function installExits(): void;
