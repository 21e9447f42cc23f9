import assert from "node:assert/strict";
import { test } from "node:test";
import { LineOutbox } from "./line-outbox.ts";

const text = async (outbox: LineOutbox) => {
  let all = "";
  for await (const chunk of outbox) all += chunk;
  return all;
};

test("past maxBytes lines are dropped and one counted marker takes their place once the reader reads", async () => {
  const pressure: boolean[] = [];
  const outbox = new LineOutbox({
    highWaterMark: 10,
    maxBytes: 20,
    overflow: { drop: (count) => `dropped ${count}` },
    onPressure: (behind) => pressure.push(behind),
  });
  for (let i = 0; i < 10; i++) outbox.offer(`line-${i}`);
  assert.ok(outbox.droppedLines > 0);
  assert.equal(pressure[0], true, "the producer is asked to pause");
  let all = "";
  outbox.on("data", (chunk) => (all += chunk));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pressure.at(-1), false, "the producer is told to resume once the reader caught up");
  outbox.offer("result", true);
  outbox.finish();
  await new Promise((resolve) => outbox.once("end", resolve));
  const lines = all.trim().split("\n");
  const kept = lines.filter((l) => l.startsWith("line-")).length;
  const dropped = Number(lines.find((l) => l.startsWith("dropped"))?.split(" ")[1]);
  assert.equal(kept + dropped, 10, "every line is either sent or counted");
  assert.equal(lines.at(-1), "result", "a forced line is never dropped");
});

test("overflow 'end' cuts the stream after what is queued and tells the producer", async () => {
  let cut = false;
  const outbox = new LineOutbox({ highWaterMark: 10, maxBytes: 20, overflow: "end", onCut: () => (cut = true) });
  for (let i = 0; i < 10; i++) outbox.offer(`line-${i}`);
  assert.equal(cut, true);
  const lines = (await text(outbox)).trim().split("\n");
  assert.ok(lines.length < 10 && lines.every((l) => l.startsWith("line-")));
});
