import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveUser } from "./image-user.ts";

const passwd = "root:x:0:0:root:/root:/bin/sh\npostgres:x:104:111:PostgreSQL:/var/lib/postgresql:/bin/sh\n";
const group = "root:x:0:\nssl-cert:x:110:postgres\npostgres:x:111:\n";

test("an image's USER resolves to numbers through its own /etc/passwd and /etc/group", () => {
  assert.deepEqual(resolveUser("", passwd, group), { uid: 0, gid: 0 });
  assert.deepEqual(resolveUser("postgres", passwd, group), { uid: 104, gid: 111 });
  assert.deepEqual(resolveUser("postgres:ssl-cert", passwd, group), { uid: 104, gid: 110 });
  assert.deepEqual(resolveUser("1000:1000", "", ""), { uid: 1000, gid: 1000 });
  assert.deepEqual(resolveUser("1000", "", ""), { uid: 1000, gid: 1000 });
  assert.equal(resolveUser("nobody-here", passwd, group), undefined);
});
