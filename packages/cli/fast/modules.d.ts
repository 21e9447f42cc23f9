/** The module fast/build.ts generates into the bundle: every module oclif may load by path, and oclif's order of the command ids. */
declare module "mc:modules" {
  export const modules: Record<string, () => Promise<unknown>>;
  export const commandOrder: string[];
}
