import assert from "node:assert/strict";
import { test } from "node:test";
import { chainName, countJumps, fenceRules, restoreScript } from "./rules.ts";

const chain = chainName("mc");
const acme = { bridge: "br-bbbbbbbbbbbb", gateway: "10.210.1.1" };
const beta = { bridge: "br-aaaaaaaaaaaa", gateway: "10.210.0.1" };

test("each tenant network reaches its own gateway's DNS and the ingress ports; the rest of the host is rejected", () => {
  const rules = fenceRules({ chain, networks: [acme, beta], allowedTcpPorts: [443, 80, 80] }).map((r) => r.join(" "));
  assert.deepEqual(rules, [
    "-A MC-mc-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
    "-A MC-mc-INPUT -i br-aaaaaaaaaaaa -d 10.210.0.1/32 -p udp -m udp --dport 53 -j RETURN",
    "-A MC-mc-INPUT -i br-aaaaaaaaaaaa -d 10.210.0.1/32 -p tcp -m tcp --dport 53 -j RETURN",
    "-A MC-mc-INPUT -i br-aaaaaaaaaaaa -p tcp -m multiport --dports 80,443 -j RETURN",
    "-A MC-mc-INPUT -i br-aaaaaaaaaaaa -j REJECT --reject-with icmp-port-unreachable",
    "-A MC-mc-INPUT -i br-bbbbbbbbbbbb -d 10.210.1.1/32 -p udp -m udp --dport 53 -j RETURN",
    "-A MC-mc-INPUT -i br-bbbbbbbbbbbb -d 10.210.1.1/32 -p tcp -m tcp --dport 53 -j RETURN",
    "-A MC-mc-INPUT -i br-bbbbbbbbbbbb -p tcp -m multiport --dports 80,443 -j RETURN",
    "-A MC-mc-INPUT -i br-bbbbbbbbbbbb -j REJECT --reject-with icmp-port-unreachable",
  ]);
});

test("no ingress ports (0: none bound) leaves only DNS; no networks, no rules", () => {
  const rules = fenceRules({ chain, networks: [acme], allowedTcpPorts: [0] });
  assert.ok(!rules.some((r) => r.includes("multiport")));
  assert.equal(rules.at(-1)?.at(-3), "REJECT");
  assert.deepEqual(fenceRules({ chain, networks: [], allowedTcpPorts: [80] }), []);
});

test("the chain name fits iptables' 28 characters for the longest prefix", () => {
  assert.ok(chainName("a".repeat(16)).length <= 28);
});

test("the restore script redefines (flushes) the chain and commits once", () => {
  const script = restoreScript(chain, fenceRules({ chain, networks: [acme], allowedTcpPorts: [80] }));
  const lines = script.trim().split("\n");
  assert.deepEqual(lines.slice(0, 2), ["*filter", ":MC-mc-INPUT - [0:0]"]);
  assert.equal(lines.at(-1), "COMMIT");
});

test("jumps are counted exactly, not those to other daemons' chains", () => {
  const listing = ["-P INPUT ACCEPT", "-A INPUT -j MC-mc-INPUT", "-A INPUT -j MC-mc2-INPUT", "-A INPUT -j MC-mc-INPUT", ""].join("\n");
  assert.equal(countJumps(listing, chain), 2);
  assert.equal(countJumps(listing, chainName("other")), 0);
});
