export * from "./client/index.ts";
export * from "./errors.ts";
export * from "./names.ts";
export * from "./paths.ts";
export * from "./schemas/apps.ts";
export * from "./schemas/system.ts";
export * from "./units.ts";
export const VERSION = "0.1.0";
