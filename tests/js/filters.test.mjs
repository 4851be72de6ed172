// Declared fields, `where` filters, `count` and `list` through the built package: in Node
// (an index in memory, and its toBytes round trip) and in Chromium and Firefox with the
// index in IndexedDB (filters after a reload, fields kept in step on upsert and delete,
// clear errors that change nothing).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENGINES, quiverPage as openPage, withBrowser } from "./quiver-page.mjs";

const { Index } = await import("quiver");

const FIELDS = { pos: "keyword", tags: "keyword[]", year: "number", draft: "boolean" };
const POS = ["noun", "verb", "adj", "adv"];

/** Deterministic unit-ish vectors and metadata for `n` records. */
function corpus(n, d = 16) {
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  const vectors = new Float32Array(n * d).map(next);
  const ids = Array.from({ length: n }, (_, i) => `w${String(i).padStart(4, "0")}`);
  const metadata = ids.map((id, i) => ({
    word: id,
    pos: POS[i % 4],
    tags: i % 3 === 0 ? ["x", "y"] : i % 3 === 1 ? ["y"] : [],
    year: 1900 + (i % 100),
    ...(i % 5 === 0 ? {} : { draft: i % 2 === 0 }),
  }));
  return { ids, vectors, metadata, d };
}

/** The model's answer to the filters the tests use. */
const EXPECTED = [
  [{ pos: "noun" }, (m) => m.pos === "noun"],
  [{ pos: ["adj", "adv"] }, (m) => m.pos === "adj" || m.pos === "adv"],
  [{ tags: "x" }, (m) => m.tags.includes("x")],
  [{ year: { gte: 1950, lt: 1960 } }, (m) => m.year >= 1950 && m.year < 1960],
  [{ draft: { exists: false } }, (m) => m.draft === undefined],
  [{ draft: true, pos: "noun" }, (m) => m.draft === true && m.pos === "noun"],
  [{ or: [{ pos: "verb" }, { year: { lte: 1901 } }] }, (m) => m.pos === "verb" || m.year <= 1901],
  [{ not: { tags: { in: ["x", "y"] } } }, (m) => !m.tags.includes("x") && !m.tags.includes("y")],
  [{ ids: ["w0001", "w0002", "nope"], pos: "verb" }, (m) => m.word === "w0001"],
];

async function rejects(promise, says) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, `expected an Error, got ${e}`);
    assert.ok(e.message.includes(says), `"${e.message}" does not say "${says}"`);
    return true;
  });
}

/** Checks count, list (paged) and filtered exact search against the model. */
async function checkFilters(index, { ids, metadata }) {
  for (const [where, keep] of EXPECTED) {
    const expected = ids.filter((_, i) => keep(metadata[i]));
    assert.equal(await index.count(where), expected.length, JSON.stringify(where));
    const listed = [];
    for (let after; ; ) {
      const page = await index.list({ where, after, limit: 37 });
      listed.push(...page.map((e) => e.id));
      if (page.length < 37) break;
      after = page.at(-1).id;
    }
    assert.deepEqual(listed, expected, JSON.stringify(where));
    const hits = await index.search(new Float32Array(16).fill(0.25), { k: 20, where });
    assert.equal(hits.length, Math.min(20, expected.length));
    for (const hit of hits) assert.ok(keep(hit.metadata), `${hit.id} does not match ${JSON.stringify(where)}`);
  }
}

test("filters, count and list on an index in memory, and after toBytes", async () => {
  const data = corpus(1000);
  const index = new Index({ dimensions: data.d, fields: FIELDS });
  await index.add(data.ids, data.vectors, data.metadata);
  await checkFilters(index, data);
  const page = await index.list({ limit: 2 });
  assert.deepEqual(page, [
    { id: "w0000", metadata: data.metadata[0] },
    { id: "w0001", metadata: data.metadata[1] },
  ]);
  assert.equal(await index.count(), 1000);
  const loaded = Index.fromBytes(index.toBytes());
  await checkFilters(loaded, data);
  // A filter that selects no more vectors than a search takes candidates (83 here, against
  // 10 × 10) scores them all exactly: the answer is the exact one. One that selects more
  // scans the codes masked, as good as unfiltered search.
  const query = data.vectors.slice(0, 16);
  const ranked = async (where, exact) => (await index.search(query, { k: 10, exact, where })).map((h) => h.id);
  const few = { pos: "verb", tags: "x" };
  assert.equal(await index.count(few), 83);
  assert.deepEqual(await ranked(few, false), await ranked(few, true));
  const many = { pos: "verb" };
  const found = (await ranked(many, false)).filter((id, _, all) => all.includes(id));
  const truth = await ranked(many, true);
  assert.ok(found.filter((id) => truth.includes(id)).length >= 7, `${found} against ${truth}`);
});

test("upserts and deletes keep the fields in step", async () => {
  const data = corpus(50);
  const index = new Index({ dimensions: data.d, fields: FIELDS });
  await index.add(data.ids, data.vectors, data.metadata);
  assert.equal(await index.count({ pos: "noun" }), 13);
  await index.add(["w0000"], data.vectors.slice(0, 16), [{ pos: "verb" }]);
  assert.equal(await index.count({ pos: "noun" }), 12);
  assert.equal(await index.count({ tags: { exists: true } }), 33);
  await index.add(["w0001"], data.vectors.slice(16, 32));
  assert.equal(await index.count({ pos: { exists: false } }), 1);
  await index.delete(["w0002", "w0003"]);
  assert.equal(await index.count({ pos: ["adj", "adv"] }), 22);
  assert.equal(await index.count(), 48);
});

test("bad fields, metadata and filters are clear errors that change nothing", async () => {
  const data = corpus(20);
  await rejects(
    Promise.resolve().then(() => new Index({ dimensions: 16, fields: { body: "text" } })),
    "not available yet",
  );
  await rejects(
    Promise.resolve().then(() => new Index({ dimensions: 16, fields: { pos: "enum" } })),
    'expected "keyword"',
  );
  await rejects(
    Promise.resolve().then(() => new Index({ dimensions: 16, fields: { not: "keyword" } })),
    "filter operator",
  );
  const index = new Index({ dimensions: data.d, fields: FIELDS });
  await index.add(data.ids, data.vectors, data.metadata);
  const before = index.toBytes();
  await rejects(
    index.add(["a", "b"], data.vectors.slice(0, 32), [{ pos: "noun" }, { pos: 3 }]),
    "metadata[1].pos: expected a string",
  );
  await rejects(index.add(["a"], data.vectors.slice(0, 16), [{ tags: "x" }]), "expected an array of strings");
  await rejects(index.add(["a"], data.vectors.slice(0, 16), [{ year: Number.NaN }]), "a finite number");
  await rejects(index.add(["a"], data.vectors.slice(0, 16), [{ draft: "yes" }]), "true or false");
  assert.deepEqual(index.toBytes(), before);
  await rejects(
    index.search(data.vectors.slice(0, 16), { where: { colour: "red" } }),
    'field "colour" is not declared',
  );
  await rejects(index.search(data.vectors.slice(0, 16), { where: { year: "1950" } }), "compares with a finite number");
  await rejects(index.count({ pos: { gt: 3 } }), 'apply to "number" fields');
  await rejects(index.count({ year: { between: [1, 2] } }), "unknown operator `between`");
  await rejects(index.count({ pos: null }), "exists: false");
  await rejects(index.count({ and: { pos: "noun" } }), "expected an array of filters");
  await rejects(index.count("noun"), "expected an object");
  await rejects(index.list({ limit: 0 }), "expected an integer from 1 to 10000");
  await rejects(index.list({ where: { pos: "noun" }, order: "id" }), "unknown option `order`");
  assert.deepEqual(index.toBytes(), before);
});

for (const engine of ENGINES) {
  describe(engine, () => {
    const env = withBrowser(engine);

    test("a persistent index filters, counts and lists the same after a reload", async () => {
      const context = await env.browser.newContext();
      let page = await openPage(context, env.base);
      const run = (fn, arg) => page.evaluate(fn, arg);
      const data = corpus(600);
      const plain = { ids: data.ids, vectors: Array.from(data.vectors), metadata: data.metadata };
      const check = async () =>
        run(
          async ({ where }) => {
            const index = await quiver.Index.open("filters");
            const out = [];
            for (const w of where) {
              const hits = await index.search(new Float32Array(16).fill(0.25), { k: 10, where: w });
              const exact = await index.search(new Float32Array(16).fill(0.25), { k: 10, where: w, exact: true });
              out.push({
                count: await index.count(w),
                list: (await index.list({ where: w, limit: 10000 })).map((e) => e.id),
                hits,
                exact,
              });
            }
            await index.close();
            return out;
          },
          { where: EXPECTED.map((e) => e[0]) },
        );
      await run(
        async ({ fields, ids, vectors, metadata }) => {
          const index = await quiver.Index.open("filters", { dimensions: 16, fields });
          await index.add(ids, new Float32Array(vectors), metadata);
          await index.close();
        },
        { fields: FIELDS, ...plain },
      );
      const before = await check();
      EXPECTED.forEach(([where, keep], i) => {
        const expected = data.ids.filter((_, j) => keep(data.metadata[j]));
        assert.equal(before[i].count, expected.length, JSON.stringify(where));
        assert.deepEqual(before[i].list, expected);
        assert.deepEqual(
          before[i].hits.map((h) => h.id),
          before[i].exact.map((h) => h.id),
        );
        for (const hit of before[i].hits) assert.ok(keep(hit.metadata));
      });
      await page.reload();
      await page.close();
      page = await openPage(context, env.base);
      assert.deepEqual(await check(), before);
      // Upsert and delete through IndexedDB, then a wrong declaration and bad metadata.
      const after = await run(async () => {
        const index = await quiver.Index.open("filters");
        await index.add(["w0000"], new Float32Array(16).fill(1), [{ pos: "verb" }]);
        await index.delete(["w0004"]);
        const counts = [await index.count({ pos: "noun" }), await index.count({ pos: "verb" }), await index.count()];
        const errors = [];
        await index.add(["w0001"], new Float32Array(16).fill(0.5), [{ pos: 1 }]).catch((e) => errors.push(e.message));
        counts.push(await index.count({ pos: "verb" }));
        await index.close();
        // What the upsert and the delete wrote is what a new connection reads.
        const reopened = await quiver.Index.open("filters");
        counts.push(await reopened.count({ pos: "noun" }), await reopened.count({ pos: { exists: false } }));
        await reopened.close();
        await quiver.Index.open("filters", { dimensions: 16, fields: { pos: "keyword" } }).catch((e) =>
          errors.push(e.message),
        );
        return { counts, errors };
      });
      assert.deepEqual(after.counts, [148, 151, 599, 151, 148, 0]);
      assert.match(after.errors[0], /metadata\[0\]\.pos: expected a string/);
      assert.match(after.errors[1], /is stored with the fields/);
      assert.deepEqual(page.errors, []);
      await context.close();
    });
  });
}
