import assert from "node:assert/strict";
import { test } from "node:test";
import { systemdUnit } from "./systemd-unit.ts";

const input = {
  node: "/usr/bin/node",
  mcd: "/opt/minicloud/bin/mcd.js",
  dataDir: "/var/lib/minicloud",
  socket: "/run/minicloud/mcd.sock",
  path: "/usr/bin:/bin",
};

test("the unit runs the installed mcd on the data dir, restarts it on failure, and signals mcd alone", () => {
  const unit = systemdUnit(input);
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/node \/opt\/minicloud\/bin\/mcd\.js --data-dir \/var\/lib\/minicloud --socket \/run\/minicloud\/mcd\.sock$/m,
  );
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^KillMode=process$/m);
  assert.match(unit, /^Environment=PATH=\/usr\/bin:\/bin$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
});

test("paths with spaces, quotes, % and $ are quoted and escaped for systemd", () => {
  const unit = systemdUnit({ ...input, dataDir: '/srv/my "cloud" 100%', path: undefined });
  assert.match(unit, /--data-dir "\/srv\/my \\"cloud\\" 100%%" --socket/);
  assert.doesNotMatch(unit, /^Environment=/m);
  assert.match(systemdUnit({ ...input, mcd: "/opt/$HOME/mcd.js" }), /\/opt\/\$\$HOME\/mcd\.js/);
});
