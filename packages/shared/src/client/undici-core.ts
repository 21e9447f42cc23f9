import { createRequire } from "node:module";
import type { Agent as AgentClass, buildConnector as buildConnectorFunction, Dispatcher } from "undici";

/**
 * The part of undici the client uses: Agent, the TLS connector and `dispatcher.request`. undici's
 * package index also loads fetch, WebSocket, EventSource, caches, mocks and interceptors — about
 * 60 ms of every `mc` start on these machines (measured: 35-45 ms for this subset, 95-105 ms for the
 * index). The same modules, wired the way the index wires them (the API methods on Dispatcher).
 */
const require = createRequire(import.meta.url);
const dispatcherBase = require("undici/lib/dispatcher/dispatcher") as { prototype: object };
Object.assign(dispatcherBase.prototype, require("undici/lib/api/index.js"));

export const Agent = require("undici/lib/dispatcher/agent") as typeof AgentClass;
export const buildConnector = require("undici/lib/core/connect") as typeof buildConnectorFunction;
export type { Dispatcher };
