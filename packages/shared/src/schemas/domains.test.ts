import assert from "node:assert/strict";
import { test } from "node:test";
import { describeIssues } from "../errors.ts";
import { checkHostname, normalizeHostname } from "../hostname-rules.ts";
import { domainCreateSchema, hostnameSchema } from "./domains.ts";

/** The reason the schema gives for a host name, or undefined when it takes it. */
function reasonFor(hostname: string): string | undefined {
  const result = hostnameSchema.safeParse(hostname);
  return result.success ? undefined : result.error.issues.map((i) => i.message).join("; ");
}

test("host names are lowercased and lose a trailing dot; that is the form stored and compared", () => {
  assert.equal(hostnameSchema.parse("Shop.Example.COM"), "shop.example.com");
  assert.equal(hostnameSchema.parse("shop.example.com."), "shop.example.com");
  assert.equal(normalizeHostname("WWW.Shop.Example.Test."), "www.shop.example.test");
});

test("valid DNS names with at least two labels are taken", () => {
  for (const good of [
    "example.com",
    "shop.example.com",
    "a.b.c.d.example.co.uk",
    "xn--bcher-kva.example",
    "123.example.com",
    "my-shop.example.io",
    `${"a".repeat(63)}.com`,
    `${Array.from({ length: 4 }, () => "a".repeat(61)).join(".")}.com`, // 4×61 + 4 dots + 3 = 251
  ]) {
    assert.equal(reasonFor(good), undefined, good);
  }
});

test("bad host names are refused with a reason that says what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["", /required/],
    ["localhost", /at least two labels/],
    ["*.example.com", /wildcards are not supported/],
    ["10.0.0.1", /IP address/],
    ["::1", /IP address/],
    ["[2001:db8::1]", /IP address/],
    ["shop..example.com", /empty label/],
    [".example.com", /empty label/],
    ["shop.example.com..", /empty label/],
    ["-shop.example.com", /not a DNS label/],
    ["shop-.example.com", /not a DNS label/],
    ["shop_1.example.com", /not a DNS label/],
    ["shop example.com", /not a DNS label/],
    ["shop.example.com:8080", /not a DNS label/],
    ["https://shop.example.com", /not a DNS label/],
    ["bücher.example", /xn--/],
    [`${"a".repeat(64)}.com`, /at most 63 characters/],
    [`${Array.from({ length: 5 }, () => "a".repeat(60)).join(".")}.com`, /at most 253 characters/],
    ["shop.example.123", /all-digit label/],
  ];
  for (const [bad, reason] of cases) assert.match(reasonFor(bad) ?? "(accepted)", reason, JSON.stringify(bad));
});

test("the zod-free check the CLI uses agrees with the schema", () => {
  for (const host of ["shop.example.com", "*.example.com", "10.0.0.1", "nodots", "a..b"]) {
    assert.equal(checkHostname(normalizeHostname(host)) === undefined, hostnameSchema.safeParse(host).success, host);
  }
});

test("a create request names the field that is wrong, and takes nothing else", () => {
  const messageOf = (body: unknown): string => {
    const result = domainCreateSchema.safeParse(body);
    return result.success ? "(accepted)" : describeIssues(result.error).message;
  };
  assert.match(messageOf({ app: "web", hostname: "*.example.com" }), /^hostname: wildcards/);
  assert.match(messageOf({ app: "Web", hostname: "shop.example.com" }), /^app: /);
  assert.match(messageOf({ app: "web", hostname: "shop.example.com", tenant: "beta" }), /tenant/);
  assert.deepEqual(domainCreateSchema.parse({ app: "web", hostname: "Shop.Example.com." }), { app: "web", hostname: "shop.example.com" });
});
