import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { Agent, buildConnector } from "./undici-core.ts";

// The client loads undici's modules by path (start-up time); an undici update that moves them must fail here, loudly.
test("the undici subset the client loads is wired: an Agent answers `request`, the connector builds", async () => {
  const server = http.createServer((request, response) => response.end(`${request.method} ${request.url}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const agent = new Agent();
  try {
    const { port } = server.address() as AddressInfo;
    const response = await agent.request({ origin: `http://127.0.0.1:${port}`, path: "/v1/apps?x=1", method: "GET" });
    assert.equal(response.statusCode, 200);
    assert.equal(await response.body.text(), "GET /v1/apps?x=1");
    assert.equal(typeof buildConnector({}), "function");
  } finally {
    await agent.close();
    server.close();
  }
});
