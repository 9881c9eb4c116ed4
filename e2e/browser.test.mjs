// Browser tests: Swagger UI's "Try it out" against a running Stack Atlas, and the embed
// example (examples/embed/index.html) served from another origin, calling the API across
// origins. Run with node's test runner:
//
//   STACKATLAS_URL=http://127.0.0.1:8080 node --test browser.test.mjs
//
// Every test fails on any console error or uncaught page error, and on any request to an
// origin other than the API's (and, for the embed page, the page's own): such requests
// are aborted and reported. Screenshots go to .ci/artifacts/ (or $ARTIFACTS_DIR).
//
// Tests whose title says "needs …" depend on server features that may not exist yet
// (cross-origin headers, /v1/suggest, search facets); tests marked "mocked API" check
// the embed page's own behaviour with answers faked in the browser.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");
const artifacts = path.resolve(process.env.ARTIFACTS_DIR || path.join(repo, ".ci", "artifacts"));
const embedFile = path.join(repo, "examples", "embed", "index.html");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const WAIT = 15_000; // ms to wait for anything the page should show

const rawApi = process.env.STACKATLAS_URL;
if (!rawApi) {
  throw new Error("STACKATLAS_URL is not set: start the server and pass its base URL, " +
    "e.g. STACKATLAS_URL=http://127.0.0.1:8080 node --test browser.test.mjs");
}
const API = new URL(rawApi).origin; // http://127.0.0.1:PORT

let browser;
let embedServer;
let EMBED; // origin of the static server that serves the embed page

before(async () => {
  await mkdir(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  // A tiny static server for the embed page, on another port: another origin.
  const page = await readFile(embedFile);
  embedServer = createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://x");
    if (req.method === "GET" && (pathname === "/" || pathname === "/index.html")) {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      res.end(page);
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise((resolve) => embedServer.listen(0, "127.0.0.1", resolve));
  EMBED = `http://127.0.0.1:${embedServer.address().port}`;
  assert.notEqual(EMBED, API, "the embed page must be served from another origin than the API");
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (embedServer ? embedServer.close(resolve) : resolve()));
});

/**
 * A fresh browser context and page that records console errors, page errors and
 * requests to any origin not in `origins` (those are aborted). `allowConsole(message)`
 * may excuse a console error the test expects; it is still shown as a diagnostic.
 */
async function guardedPage(t, origins, { allowConsole = () => false } = {}) {
  const context = await browser.newContext({
    serviceWorkers: "block",
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const problems = [];
  const allowed = new Set(origins);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (allowed.has(url.origin)) return route.fallback();
    problems.push(`request to a foreign origin: ${route.request().method()} ${url.href}`);
    return route.abort("blockedbyclient");
  });
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (["data:", "blob:", "about:"].includes(url.protocol)) return;
    if (!allowed.has(url.origin)) problems.push(`request seen to a foreign origin: ${url.href}`);
  });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location()?.url;
    const text = `console error: ${message.text()}${where ? ` (${where})` : ""}`;
    if (allowConsole(message)) t.diagnostic(`allowed ${text}`);
    else problems.push(text);
  });
  page.on("pageerror", (error) => problems.push(`uncaught page error: ${error.message}`));
  return {
    page,
    problems,
    /** Screenshot, then fail on anything recorded; always closes the context. */
    async finish(name) {
      try {
        const text = await page.locator("body").innerText({ timeout: 2_000 });
        const junk = text.match(/\[object \w+\]/);
        if (junk) problems.push(`the page shows "${junk[0]}": something was rendered as a string`);
      } catch (error) {
        problems.push(`cannot read the page's text: ${error.message}`);
      }
      try {
        await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
      } catch (error) {
        problems.push(`screenshot failed: ${error.message}`);
      }
      await context.close();
      assert.deepEqual(problems, [], `the page misbehaved:\n  ${problems.join("\n  ")}`);
    },
  };
}

/** Runs `body(page)`; on failure keeps a "-failed" screenshot, and always checks the guard. */
async function withPage(t, name, origins, options, body) {
  const guard = await guardedPage(t, origins, options);
  let failure;
  try {
    await body(guard.page, guard);
  } catch (error) {
    failure = error;
  }
  try {
    await guard.finish(failure ? `${name}-failed` : name);
  } catch (error) {
    if (!failure) throw error;
    throw new Error(`${failure.message}\n${error.message}`, { cause: failure });
  }
  if (failure) throw failure;
}

// ---- Swagger UI -------------------------------------------------------------------------

/** The Swagger UI operation block of `GET <path>`, expanded, in "Try it out" mode. */
async function tryItOut(page, apiPath) {
  const block = page
    .locator(".opblock.opblock-get")
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${apiPath}"]`) });
  await block.waitFor({ timeout: WAIT });
  await block.locator(".opblock-summary").first().click();
  await block.getByRole("button", { name: "Try it out" }).click();
  await block.getByRole("button", { name: "Execute" }).waitFor({ timeout: WAIT });
  return block;
}

/** Empties every prefilled input of the block except `keep`, and removes array items. */
async function clearOtherParameters(block, keep) {
  for (const row of await block.locator("tr[data-param-name]").all()) {
    const name = await row.getAttribute("data-param-name");
    if (name === keep) continue;
    // Array parameters: remove their items (Swagger UI may prefill them from examples).
    for (let i = 0; i < 20; i++) {
      const remove = row.locator("button.json-schema-form-item-remove");
      if ((await remove.count()) === 0) break;
      await remove.first().click();
    }
    for (const field of await row.locator("input[type=text], input:not([type])").all()) {
      await field.fill("");
    }
    for (const select of await row.locator("select").all()) {
      const multiple = await select.getAttribute("multiple");
      if (multiple !== null) await select.selectOption([]);
    }
  }
}

/** Executes the block's request; answers the live response's status and body text. */
async function execute(block) {
  await block.getByRole("button", { name: "Execute" }).click();
  const live = block.locator(".live-responses-table");
  const status = live.locator("tbody .response-col_status").first();
  await status.waitFor({ timeout: WAIT });
  const body = live.locator(".response-col_description .highlight-code pre").first();
  await body.waitFor({ timeout: WAIT });
  return {
    status: (await status.innerText()).trim(),
    body: await body.innerText(),
    url: (await block.locator(".request-url pre").first().innerText().catch(() => "")).trim(),
  };
}

describe("Swagger UI", () => {
  test("Try it out: GET /v1/technologies/{id} with nodejs answers 200 with Node.js", async (t) => {
    await withPage(t, "swagger-get-technology", [API], {}, async (page) => {
      await page.goto(`${API}/swagger-ui/`, { waitUntil: "load" });
      const block = await tryItOut(page, "/v1/technologies/{id}");
      await clearOtherParameters(block, "id");
      const id = block.locator('tr[data-param-name="id"] input');
      await id.fill("nodejs");
      const response = await execute(block);
      await block.screenshot({ path: path.join(artifacts, "swagger-get-technology-operation.png") });
      t.diagnostic(`request: ${response.url}`);
      assert.equal(response.status, "200", `status; body: ${response.body.slice(0, 300)}`);
      assert.match(response.url, /\/v1\/technologies\/nodejs$/);
      assert.ok(response.url.startsWith(API), `Try it out called ${response.url}, not ${API}`);
      assert.equal(JSON.parse(response.body).name, "Node.js");
      assert.match(await block.locator(".live-responses-table").innerText(), /Node\.js/);
    });
  });

  let pyhton; // the search answer the Swagger UI response panel showed

  test("Try it out: GET /v1/search with q=pyhton answers 200", async (t) => {
    await withPage(t, "swagger-search", [API], {}, async (page) => {
      await page.goto(`${API}/swagger-ui/`, { waitUntil: "load" });
      const block = await tryItOut(page, "/v1/search");
      await clearOtherParameters(block, "q");
      await block.locator('tr[data-param-name="q"] input').fill("pyhton");
      const response = await execute(block);
      await block.screenshot({ path: path.join(artifacts, "swagger-search-operation.png") });
      t.diagnostic(`request: ${response.url}`);
      assert.equal(response.status, "200", `status; body: ${response.body.slice(0, 300)}`);
      assert.equal(response.url, `${API}/v1/search?q=pyhton`, "Try it out sent another request");
      pyhton = JSON.parse(response.body);
    });
  });

  test("Try it out: q=pyhton shows Python as the first hit (needs typo-tolerant search)", () => {
    assert.ok(pyhton, "the previous test got no answer from Swagger UI");
    const first = pyhton.items[0];
    assert.equal(first?.name, "Python",
      `the first hit for "pyhton" is ${first ? JSON.stringify(first.name) : `nothing (${pyhton.total} hits)`}` +
      ": the server's search does not correct the typo");
  });
});

// ---- embed example against the real API (cross-origin) ------------------------------------

/** Console errors a server without /v1/suggest causes once, handled by the page. */
const suggestMissing = (message) =>
  /status of 404/.test(message.text()) && /\/v1\/suggest\?/.test(message.location()?.url ?? "");

/**
 * Fails at once, with a message saying which, when the API lacks a feature a test needs,
 * so a missing server feature is not mistaken for a broken page.
 */
const serverFeatures = {
  async cors() {
    const response = await fetch(`${API}/v1/technologies/django`, { headers: { Origin: EMBED } });
    const allow = response.headers.get("access-control-allow-origin");
    assert.ok(allow === "*" || allow === EMBED,
      "missing server feature: cross-origin reads — GET /v1/technologies/django with an Origin " +
      `header answered ${response.status} without Access-Control-Allow-Origin (got ${allow})`);
  },
  async suggest() {
    const response = await fetch(`${API}/v1/suggest?q=djan`);
    assert.equal(response.status, 200,
      `missing server feature: GET /v1/suggest?q=djan answered ${response.status}`);
  },
  async facets() {
    const answer = await (await fetch(`${API}/v1/search?q=python`)).json();
    assert.ok(answer.facets && typeof answer.facets.kind === "object",
      "missing server feature: GET /v1/search?q=python answered no facets.kind " +
      `(keys: ${Object.keys(answer).join(", ")})`);
  },
};

async function needs(...features) {
  for (const feature of features) await serverFeatures[feature]();
}

const embedUrl = (api = API) => `${EMBED}/?api=${encodeURIComponent(api)}`;

describe("embed example against the API (another origin)", () => {
  test("search results and detail across origins (needs CORS)", async (t) => {
    await needs("cors");
    await withPage(t, "embed-search-detail", [EMBED, API], { allowConsole: suggestMissing }, async (page) => {
      await page.goto(embedUrl(), { waitUntil: "load" });
      assert.equal(await page.locator("#api-base").innerText(), API);
      const box = page.getByRole("combobox", { name: "Search technologies" });
      await box.fill("django");
      await box.press("Enter");
      const result = page.locator("#results").getByRole("link", { name: "Django", exact: true });
      await result.waitFor({ timeout: WAIT });
      assert.match(await page.getByRole("status").innerText(), /results? for “django”/);
      await result.click();
      const heading = page.locator("#detail").getByRole("heading", { level: 2, name: "Django" });
      await heading.waitFor({ timeout: WAIT });
      const detail = page.locator("#detail");
      assert.match(await detail.innerText(), /web framework/);
      for (const name of ["Strengths", "Weaknesses", "Use cases", "Tags"]) {
        assert.equal(await detail.getByRole("heading", { level: 3, name }).count(), 1, `no ${name} heading`);
      }
      assert.ok(await detail.getByRole("listitem").count() > 3, "no list items in the detail");
      assert.equal(await detail.getByRole("link", { name: "Website" }).getAttribute("href"),
        "https://www.djangoproject.com/");
      assert.match(page.url(), /#\/technologies\/django$/);
    });
  });

  test("typing djan suggests Django (needs /v1/suggest and CORS)", async (t) => {
    await needs("cors", "suggest");
    await withPage(t, "embed-suggest-djan", [EMBED, API], {}, async (page) => {
      await page.goto(embedUrl(), { waitUntil: "load" });
      const box = page.getByRole("combobox", { name: "Search technologies" });
      // The page aborts a pending completion when the next key arrives, so wait for
      // the answer to the whole word rather than for the first request sent.
      const answered = page.waitForResponse(
        (r) => r.url().startsWith(`${API}/v1/suggest?`) && new URL(r.url()).searchParams.get("q") === "djan",
        { timeout: WAIT },
      );
      await box.pressSequentially("djan", { delay: 60 });
      const answer = await answered.catch(() => null);
      assert.ok(answer, "no answer to /v1/suggest?q=djan (blocked by CORS?)");
      assert.equal(answer.status(), 200, `GET /v1/suggest answered ${answer.status()}`);
      assert.ok(["*", EMBED].includes(answer.headers()["access-control-allow-origin"]),
        "the API must allow cross-origin reads (Access-Control-Allow-Origin: *)");
      const option = page.getByRole("listbox", { name: "Suggestions" })
        .locator('[role="option"][data-id="django"]');
      await option.waitFor({ timeout: WAIT });
      assert.equal(await box.getAttribute("aria-expanded"), "true");
      await page.screenshot({ path: path.join(artifacts, "embed-suggest-djan-open.png") });
      // Keyboard: pick the suggestion, land on its detail.
      const options = await page.getByRole("option").allInnerTexts();
      // Django REST framework is suggested too: pick Django itself.
      const index = options.findIndex((text) => /^Django\b(?! REST)/.test(text));
      for (let i = 0; i <= index; i++) await box.press("ArrowDown");
      await box.press("Enter");
      await page.locator("#detail").getByRole("heading", { level: 2, name: "Django" })
        .waitFor({ timeout: WAIT });
    });
  });

  test("the copy the API serves at /embed/ searches its own server under its CSP", async (t) => {
    await withPage(t, "embed-same-origin", [API], {}, async (page) => {
      const answer = await page.goto(`${API}/embed/`, { waitUntil: "load" });
      assert.equal(answer.status(), 200);
      assert.match(answer.headers()["content-security-policy"], /script-src 'self'/);
      assert.equal(await page.locator("#api-base").innerText(), API);
      const box = page.getByRole("combobox", { name: "Search technologies" });
      await box.fill("django");
      await box.press("Enter");
      await page.locator("#results").getByRole("link", { name: "Django", exact: true })
        .waitFor({ timeout: WAIT });
    });
  });

  test("a misspelling finds its entry, and a zero-hit search offers corrections as links", async (t) => {
    await needs("cors");
    await withPage(t, "embed-did-you-mean", [EMBED, API], { allowConsole: suggestMissing }, async (page) => {
      // One slip: the relaxed rules find Flask, and the status says so.
      await page.goto(`${embedUrl()}#/search?q=flsk`, { waitUntil: "load" });
      await page.locator("#results").getByRole("link", { name: "Flask", exact: true })
        .waitFor({ timeout: WAIT });
      assert.equal(await page.locator("#results li").first().getAttribute("data-id"), "flask");
      assert.match(await page.getByRole("status").innerText(), /close spellings/);
      // Two slips: nothing found, and "Did you mean mongodb?" links to a search with hits.
      const box = page.getByRole("combobox", { name: "Search technologies" });
      await box.fill("mnogdb");
      await box.press("Enter");
      const correction = page.locator("#did-you-mean").getByRole("link", { name: "mongodb", exact: true });
      await correction.waitFor({ timeout: WAIT });
      assert.match(await page.getByRole("status").innerText(), /No results for “mnogdb”/);
      await correction.click();
      await page.locator("#results").getByRole("link", { name: "MongoDB", exact: true })
        .waitFor({ timeout: WAIT });
      assert.equal(await page.locator("#did-you-mean").isHidden(), true);
      assert.match(page.url(), /#\/search\?q=mongodb/);
    });
  });

  test("kind facet chips filter the results (needs search facets and CORS)", async (t) => {
    await needs("cors", "facets");
    await withPage(t, "embed-facet-chips", [EMBED, API], { allowConsole: suggestMissing }, async (page) => {
      await page.goto(`${embedUrl()}#/search?q=python`, { waitUntil: "load" });
      const chips = page.getByRole("group", { name: "Filter by kind" });
      const chip = chips.getByRole("button", { name: /^web framework\b/ });
      await chip.waitFor({ timeout: WAIT });
      assert.equal(await chip.getAttribute("aria-pressed"), "false");
      const searched = page.waitForRequest((r) => r.url().startsWith(`${API}/v1/search?`), { timeout: WAIT });
      await chip.click();
      const request = await searched;
      assert.equal(new URL(request.url()).searchParams.getAll("kind").join(), "web_framework");
      await page.waitForFunction(
        () => document.querySelector('#facets [data-kind="web_framework"]')?.getAttribute("aria-pressed") === "true",
        null, { timeout: WAIT });
      await page.waitForFunction(() => /web framework\)/.test(document.getElementById("status").textContent),
        null, { timeout: WAIT });
      const kinds = await page.locator("#results li .kind").allInnerTexts();
      assert.ok(kinds.length > 0, "no results once filtered");
      assert.deepEqual([...new Set(kinds)], ["web framework"]);
      assert.match(page.url(), /kind=web_framework/);
    });
  });
});

// ---- embed example, its own behaviour (API answers faked in the browser) ----------------

describe("embed example with a mocked API", () => {
  const FAKE = "http://127.0.0.1:9"; // never contacted: every request to it is fulfilled below
  const evil = '<img src=x onerror="window.__pwned=1">';

  test("renders suggestions, chips, results and detail as text, never as HTML", async (t) => {
    await withPage(t, "embed-mocked", [EMBED, FAKE], {}, async (page) => {
      const json = (body) => ({
        status: 200,
        headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" },
        body: JSON.stringify(body),
      });
      const searches = [];
      await page.route(`${FAKE}/**`, (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === "/v1/suggest") {
          return route.fulfill(json({ items: [
            { id: "evil", name: `Evil ${evil}`, kind: "library" },
            { id: "django", name: "Django", kind: "web_framework" },
          ] }));
        }
        if (url.pathname === "/v1/search") {
          searches.push(url.search);
          const kinds = url.searchParams.getAll("kind");
          const items = [
            { id: "evil", name: `Evil ${evil}`, kind: "library", summary: `Summary ${evil}` },
            { id: "django", name: "Django", kind: "web_framework", summary: "A web framework." },
          ].filter((item) => kinds.length === 0 || kinds.includes(item.kind));
          return route.fulfill(json({ items, total: items.length,
            facets: { kind: { library: 1, web_framework: 1 }, tag: {}, language: {} } }));
        }
        if (url.pathname === "/v1/technologies/evil") {
          return route.fulfill(json({ id: "evil", name: `Evil ${evil}`, kind: "library",
            summary: evil, description: evil, strengths: [evil], weaknesses: [], use_cases: [],
            tags: [evil], sources: [], website: "javascript:window.__pwned=1",
            repository: "https://example.invalid/<b>repo</b>" }));
        }
        return route.fulfill({ status: 404, body: "" });
      });

      await page.goto(embedUrl(FAKE), { waitUntil: "load" });
      const box = page.getByRole("combobox", { name: "Search technologies" });
      await box.pressSequentially("ev", { delay: 30 });
      await page.getByRole("option", { name: /Evil/ }).waitFor({ timeout: WAIT });
      assert.equal(await page.getByRole("option").first().innerText().then((s) => s.split("\n")[0]),
        `Evil ${evil}`);
      await box.press("Escape");
      assert.equal(await box.getAttribute("aria-expanded"), "false");

      await box.press("Enter");
      await page.locator("#results li").nth(1).waitFor({ timeout: WAIT });
      const chip = page.getByRole("button", { name: /^web framework\b/ });
      await chip.click();
      await page.waitForFunction(() => document.querySelectorAll("#results li").length === 1, null,
        { timeout: WAIT });
      assert.match(searches.at(-1), /[?&]kind=web_framework(&|$)/);
      await chip.click(); // unpress: back to both
      await page.waitForFunction(() => document.querySelectorAll("#results li").length === 2, null,
        { timeout: WAIT });

      await page.locator("#results").getByRole("link", { name: /Evil/ }).click();
      await page.locator("#detail h2").waitFor({ timeout: WAIT });
      assert.equal(await page.locator("#detail h2").innerText(), `Evil ${evil}`);
      assert.equal(await page.locator("img").count(), 0, "API text was parsed as HTML");
      assert.equal(await page.locator("#detail b").count(), 0, "API text was parsed as HTML");
      const hrefs = await page.locator("#detail a[target=_blank]").evaluateAll((as) => as.map((a) => a.href));
      assert.ok(hrefs.every((href) => href.startsWith("https:")), `unsafe links: ${hrefs}`);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
    });
  });

  test("a server without /v1/suggest still searches (404 handled once)", async (t) => {
    let suggestCalls = 0;
    const notFound = (message) => suggestMissing(message) || (/status of 404/.test(message.text()) &&
      (message.location()?.url ?? "").startsWith(`${FAKE}/v1/suggest`));
    await withPage(t, "embed-mocked-no-suggest", [EMBED, FAKE], { allowConsole: notFound }, async (page) => {
      await page.route(`${FAKE}/**`, (route) => {
        const url = new URL(route.request().url());
        const cors = { "Access-Control-Allow-Origin": "*" };
        if (url.pathname === "/v1/suggest") {
          suggestCalls++;
          return route.fulfill({ status: 404, headers: { ...cors, "Content-Type": "application/problem+json" },
            body: JSON.stringify({ type: "about:blank", title: "Not Found", status: 404 }) });
        }
        if (url.pathname === "/v1/search") {
          return route.fulfill({ status: 200, headers: { ...cors, "Content-Type": "application/json" },
            body: JSON.stringify({ items: [{ id: "django", name: "Django", kind: "web_framework",
              summary: "A web framework." }], total: 1 }) });
        }
        return route.fulfill({ status: 404, headers: cors, body: "" });
      });
      await page.goto(embedUrl(FAKE), { waitUntil: "load" });
      const box = page.getByRole("combobox", { name: "Search technologies" });
      await box.pressSequentially("dj", { delay: 200 });
      await page.waitForFunction(() => /no suggestions/.test(document.getElementById("q-hint").textContent),
        null, { timeout: WAIT });
      const callsBefore = suggestCalls; // the first 404, and any asked before it came back
      await box.pressSequentially("ango", { delay: 200 });
      await page.waitForTimeout(500);
      await box.press("Enter");
      await page.locator("#results").getByRole("link", { name: "Django" }).waitFor({ timeout: WAIT });
      assert.equal(suggestCalls, callsBefore, "the page kept asking a server that has no /v1/suggest");
      assert.equal(await page.locator("#facets").isHidden(), true, "chips shown without facets");
      assert.equal(await page.locator("#status").evaluate((el) => el.classList.contains("error")), false, "an error was shown");
    });
  });
});
