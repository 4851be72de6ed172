// Every plain ```js block of README.md runs as a module inside this package (so
// `import("quiver")` resolves to the built package by self-reference) and must finish
// without throwing. A block labelled with a path (```js examples/node/index.mjs) must be
// that file, verbatim: the examples test runs the files.

import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test("README has runnable js examples", () => assert.ok(blocks.length > 0));

blocks.forEach((code, i) => {
  test(`README js block ${i + 1} runs`, async () => {
    const file = `${root}.readme-block-${i}.mjs`;
    writeFileSync(file, code);
    try {
      await import(pathToFileURL(file).href);
    } finally {
      rmSync(file, { force: true });
    }
  });
});

const quoted = [...readme.matchAll(/```\w+ (examples\/\S+)\n([\s\S]*?)```/g)];

test("README quotes the examples", () => assert.ok(quoted.length >= 3));

for (const [, path, code] of quoted) {
  test(`README's ${path} is the file`, () => {
    assert.equal(code, readFileSync(`${root}${path}`, "utf8"), `README's copy of ${path} differs from the file`);
  });
}
