// Page interactions written once for both drivers (playwright-core for Chromium, puppeteer-core
// for Firefox): each is a `page.evaluate`, which the two APIs share, acting as a visitor's
// click or keystroke does (the element's own `click()`, or a new value followed by the
// `input` and `change` events the page listens to).

/** Helpers bound to `page`. */
export function ui(page) {
  const poll = async (what, check, timeout) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  // A field's new value, announced as typing or picking it would.
  const setValue = (selector, value) =>
    page.evaluate(
      ([selector, value]) => {
        const field = document.querySelector(selector);
        field.focus();
        field.value = value;
        field.dispatchEvent(new Event("input", { bubbles: true }));
        field.dispatchEvent(new Event("change", { bubbles: true }));
      },
      [selector, value],
    );
  return {
    /** Waits until the page's text contains `pattern` (a string or a RegExp, matched line by
     * line as well as whole); resolves to the matching text. */
    waitText: (pattern, timeout = 30_000) => {
      const [source, flags] =
        pattern instanceof RegExp
          ? [pattern.source, pattern.flags]
          : [pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), ""];
      return poll(
        `the text ${pattern}`,
        () =>
          page.evaluate(
            ([source, flags]) => {
              const re = new RegExp(source, flags.includes("m") ? flags : `${flags}m`);
              // biome-ignore lint/performance/useDomNodeTextContent: the text as shown, line by line, as a visitor reads it (textContent runs the lines of separate elements together)
              const text = document.body.innerText;
              return re.exec(text)?.[0] ?? undefined;
            },
            [source, flags],
          ),
        timeout,
      );
    },
    /** Waits until an element matches `selector`. */
    waitFor: (selector, timeout = 30_000) =>
      poll(
        selector,
        () => page.evaluate((selector) => (document.querySelector(selector) ? true : undefined), selector),
        timeout,
      ),
    /** Waits until the text of `selector` is `expected`. */
    waitTextOf: (selector, expected, timeout = 30_000) =>
      poll(
        `${selector} to read ${JSON.stringify(expected)}`,
        () =>
          page.evaluate(
            ([selector, expected]) => (document.querySelector(selector)?.textContent === expected ? true : undefined),
            [selector, expected],
          ),
        timeout,
      ),
    /** Types `value` into the field `selector`. */
    fill: setValue,
    /** Picks `value` in the select `selector`. */
    select: setValue,
    /** Clicks the first element of `selector` (whose text is `text`, if given). */
    click: (selector, text) =>
      page.evaluate(
        ([selector, text]) => {
          const target = [...document.querySelectorAll(selector)].find(
            (e) => text === undefined || e.textContent.trim() === text,
          );
          if (!target) throw new Error(`nothing matches ${selector} ${text ?? ""}`);
          target.click();
        },
        [selector, text],
      ),
    /** Sets the checkbox `selector` to `checked`, by clicking it if it differs. */
    check: (selector, checked) =>
      page.evaluate(
        ([selector, checked]) => {
          const box = document.querySelector(selector);
          if (box.checked !== checked) box.click();
        },
        [selector, checked],
      ),
    /** The text of the first element of `selector`. */
    text: (selector) => page.evaluate((selector) => document.querySelector(selector)?.textContent ?? null, selector),
    /** The texts of every element of `selector`. */
    texts: (selector) =>
      page.evaluate((selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent), selector),
    /** The first two cells' texts of every row of `selector`. */
    rows: (selector) =>
      page.evaluate(
        (selector) => [...document.querySelectorAll(selector)].map((tr) => [...tr.cells].map((c) => c.textContent)),
        selector,
      ),
  };
}
