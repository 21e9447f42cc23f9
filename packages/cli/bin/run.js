#!/usr/bin/env node
import module from "node:module";

module.enableCompileCache?.();
const { execute } = await import("@oclif/core");
await execute({ dir: import.meta.url });
