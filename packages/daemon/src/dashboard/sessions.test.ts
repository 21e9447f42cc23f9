import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Store } from "../store/store.ts";
import { csrfMatches, SESSION_TTL_MS, SESSIONS_PER_KEY, Sessions } from "./sessions.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-sessions-"));
  dirs.push(dir);
  return dir;
}

/** Sessions on a store of their own in `dir` (a fresh data dir unless given). */
async function open(dir?: string): Promise<Sessions> {
  return new Sessions(await Store.open(dir ?? (await dataDir())));
}

test("a session survives a restart; the state holds only the id's hash", async () => {
  const dir = await dataDir();
  const { id, session } = await (await open(dir)).create("key1");
  for (const name of ["state.json", "state.journal"]) assert.ok(!(await readFile(path.join(dir, name), "utf8")).includes(id));
  // state.json's mode is mcd's umask (077); the journal is made 0600 whatever the umask.
  assert.equal((await stat(path.join(dir, "state.journal"))).mode & 0o777, 0o600);
  assert.match(await readFile(path.join(dir, "state.journal"), "utf8"), /dashboardSessions/);
  assert.deepEqual((await open(dir)).get(id), session);
});

test("expired sessions, ended ones and a key's sessions are gone", async () => {
  const sessions = await open();
  const old = await sessions.create("key1", Date.now() - SESSION_TTL_MS - 1);
  assert.equal(sessions.get(old.id), undefined);
  const a = await sessions.create("key1");
  const b = await sessions.create("key1");
  const c = await sessions.create("key2");
  await sessions.end(a.id);
  assert.equal(sessions.get(a.id), undefined);
  await sessions.endKey("key1");
  assert.equal(sessions.get(b.id), undefined);
  assert.ok(sessions.get(c.id));
  assert.equal(sessions.get(undefined), undefined);
  assert.equal(sessions.get("made-up"), undefined);
});

test("the CSRF token must match exactly", async () => {
  const { session } = await (await open()).create("key1");
  assert.ok(csrfMatches(session, session.csrf));
  assert.ok(!csrfMatches(session, undefined));
  assert.ok(!csrfMatches(session, `${session.csrf}x`));
  assert.ok(
    !csrfMatches(
      session,
      session.csrf.replace(/^./, (c) => (c === "a" ? "b" : "a")),
    ),
  );
});

test("a key holds at most SESSIONS_PER_KEY sessions: signing in again ends its oldest", async () => {
  const sessions = await open();
  const now = Date.now();
  const made = [];
  for (let i = 0; i <= SESSIONS_PER_KEY; i++) made.push(await sessions.create("key1", now + i));
  const other = await sessions.create("key2", now);
  assert.equal(sessions.get(made[0]?.id), undefined);
  for (const { id } of made.slice(1)) assert.ok(sessions.get(id));
  assert.ok(sessions.get(other.id));
});
