/**
 * The `/ui` dashboard in a real browser: headless Chromium (Debian's
 * `chromium`, provisioned by scripts/test-setup.mjs) driven by
 * playwright-core against a real `aigw serve` after SDK traffic, with a
 * week of earlier ledger minutes written to its SQLite file first so every
 * chart has days to draw. Asserted: the data needs the admin token (401
 * without; a wrong token is refused on the login form), the panels show
 * the numbers `/admin/usage`, `/admin/budgets` and `/admin/policy` hold
 * (tiles, the charts' data tables, top models and keys, budgets, guardrail
 * actions, the policy version), the request lookup shows a decision record
 * in policy terms, the token never reaches the DOM or a URL, the page fits
 * a phone's width, and any page error or console error fails the test.
 * Writes docs/dashboard.png (the README's screenshot) and
 * docs/dashboard-phone.png.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { bucketOf, emptyCounts, minuteOf, sqliteUsageStore, type UsageReport, type UsageRow } from "../../runtime/usage/index.js";
import { closeAllUpstreams } from "../support/upstreams.js";
import { stopServed } from "../observe/serve.js";
import { ADMIN_TOKEN, adminUsage, KEY_SEARCH, KEY_SUPPORT, SECRETS, sendTraffic, startScene, type UsageScene } from "./traffic.js";
import { policyDir } from "../support/cli.js";

const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));
const DAY = 86_400_000;

/** Debian's chromium (or `$CHROMIUM`); the test fails, never skips, without one. */
function chromiumPath(): string {
  const env = process.env["CHROMIUM"];
  if (env) return env;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

/** Six days of earlier traffic for the charts, written the way a gateway's flush writes it. */
async function seedHistory(dbPath: string, now: number): Promise<void> {
  const store = sqliteUsageStore({ path: dbPath });
  const rows: UsageRow[] = [];
  const teams = [
    ["search", hashKey(KEY_SEARCH).slice(0, 19)],
    ["support", hashKey(KEY_SUPPORT).slice(0, 19)],
  ] as const;
  for (let d = 6; d >= 1; d--) {
    for (let h = 0; h < 24; h++) {
      // Half an hour off the hour: no seeded minute sits on the edge of a 24h or 7d range read a little later.
      const minute = minuteOf(now - d * DAY + h * 3_600_000 + 1_800_000);
      teams.forEach(([team, key], t) => {
        const n = 4 + Math.round((6 + 5 * Math.sin(((h - 4) / 24) * 2 * Math.PI)) * (t === 0 ? 2 : 1)) + ((d * 7 + h * 3 + t * 11) % 5);
        for (const [model, provider, price] of [["mini", "up", 25], ["big", "up", 320]] as const) {
          const share = model === "mini" ? n : Math.ceil(n / 5);
          rows.push({
            minute,
            dims: { team, key, user: team === "search" ? "ana" : "", route: "chat", model, provider, api: "openai.chat", outcome: "ok" },
            counts: { ...emptyCounts(), requests: share, inputTokens: share * 11, outputTokens: share * 7, costMicros: share * price * 40, latency: { [bucketOf(180 + h * 5)]: share }, overhead: { [bucketOf(0.4)]: share } },
          });
        }
        if (h === 12 && d % 2 === 0) {
          rows.push({
            minute,
            dims: { team, key, user: "", route: "chat", model: "big", provider: "up", api: "openai.chat", outcome: "upstream_error" },
            counts: { ...emptyCounts(), requests: 4, errors: 4, errorKinds: { AIGW_UPSTREAM_TIMEOUT: 4 }, latency: { [bucketOf(30_000)]: 4 }, overhead: { [bucketOf(0.5)]: 4 } },
          });
        }
      });
    }
  }
  await store.add(rows, 7 * DAY);
  await store.close();
}

let scene: UsageScene;
let browser: Browser;
/** Page errors, console errors and warnings, requests that left the gateway: each test starts with none and must end with none. */
const problems: string[] = [];
beforeEach(() => void (problems.length = 0));

beforeAll(async () => {
  const s = await startScene();
  await seedHistory(join(s.dir, "state.db"), Date.now());
  scene = { ...s, fallbackId: await sendTraffic(s) };
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-gpu"] });
});
afterAll(async () => {
  await browser?.close();
  await stopServed();
  await closeAllUpstreams();
});

/** A page whose errors and console errors are collected (a wrong token's 401 is expected while `allow401`). */
async function openPage(viewport: { width: number; height: number }, isMobile = false): Promise<{ page: Page; allow401: { on: boolean } }> {
  const context = await browser.newContext({ viewport, isMobile, deviceScaleFactor: isMobile ? 2 : 1 });
  const page = await context.newPage();
  const allow401 = { on: false };
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error" && m.type() !== "warning") return;
    if (allow401.on && /status of 401/.test(m.text())) return;
    problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(scene.gw.base)) problems.push(`request left the gateway: ${r.url()}`);
    if (r.url().includes(ADMIN_TOKEN)) problems.push(`the token is in a URL: ${r.url()}`);
  });
  return { page, allow401 };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.fill("#token", token);
  await page.click("#login button[type=submit]");
}

const num = async (page: Page, selector: string): Promise<number> => Number(await page.getAttribute(selector, "data-value"));

/** A data table's body as numbers (the first column kept as text). */
async function tableRows(page: Page, id: string): Promise<(string | number)[][]> {
  return page.$$eval(`#${id} tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td, i) => (i === 0 ? (td.textContent ?? "") : td.dataset["value"] !== undefined ? Number(td.dataset["value"]) : (td.textContent ?? "")))),
  );
}

async function report(query: string): Promise<UsageReport> {
  return (await (await adminUsage(scene.gw.base, query)).json()) as UsageReport;
}

describe("the /ui dashboard in Chromium", () => {
  it("needs the admin token: the data is refused without it and a wrong one is turned away", async () => {
    expect((await fetch(`${scene.gw.base}/admin/usage`)).status).toBe(401);
    const html = await fetch(`${scene.gw.base}/ui`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-security-policy")).toContain("default-src 'self'");
    const { page, allow401 } = await openPage({ width: 1280, height: 900 });
    await page.goto(`${scene.gw.base}/ui`);
    expect(await page.isVisible("#login")).toBe(true);
    expect(await page.isVisible("#dash")).toBe(false);
    allow401.on = true;
    await signIn(page, "not-the-token");
    await page.waitForSelector("#login-error:has-text('refused')");
    allow401.on = false;
    expect(await page.isVisible("#dash")).toBe(false);
    expect(await page.evaluate('sessionStorage.getItem("aigw-admin-token")')).toBeNull();
    await page.context().close();
    expect(problems).toEqual([]);
  });

  it("renders the numbers the ledger holds, looks a request up, and writes the screenshot", async () => {
    const { page } = await openPage({ width: 1280, height: 900 });
    await page.goto(`${scene.gw.base}/ui`);
    await signIn(page, ADMIN_TOKEN);
    await page.waitForSelector("body[data-loaded]");
    const before = Number(await page.getAttribute("body", "data-loaded"));
    await page.selectOption("#range", "7d");
    // A selector, not waitForFunction: a string predicate is an eval, which the page's CSP (rightly) refuses.
    await page.waitForSelector(`body[data-loaded]:not([data-loaded="${before}"])`, { state: "attached" });

    const total = await report("since=7d&step=1h");
    expect(total.totals.requests).toBeGreaterThan(1000);
    expect(await num(page, "#tile-requests")).toBe(total.totals.requests);
    expect(await num(page, "#tile-errors")).toBe(total.totals.errors);
    expect(await num(page, "#tile-cost")).toBe(total.totals.cost);
    const traffic = await tableRows(page, "table-traffic");
    expect(traffic.reduce((n, r) => n + (r[1] as number), 0)).toBe(total.totals.requests);
    expect(traffic.reduce((n, r) => n + (r[2] as number), 0)).toBe(total.totals.errors);
    const canvas = await page.$eval("#chart-traffic canvas", (c) => (c as unknown as { width: number }).width);
    expect(canvas).toBeGreaterThan(200);

    const byTeam = await report("since=7d&by=team&step=1d");
    const spend = await tableRows(page, "table-spend-team");
    const heads = await page.$$eval("#table-spend-team thead th", (ths) => ths.map((t) => t.textContent));
    for (const g of byTeam.groups) {
      const col = heads.indexOf(g.key === "" ? "(none)" : g.key);
      expect(col, `a column for ${g.key}`).toBeGreaterThan(0);
      expect(spend.reduce((n, r) => n + (r[col] as number), 0)).toBeCloseTo(g.cost, 9);
    }
    const byModel = await report("since=7d&by=model");
    const models = await tableRows(page, "table-models");
    expect(models.map((r) => [r[0], r[1], r[5]])).toEqual(byModel.groups.slice(0, 10).map((g) => [g.key === "" ? "(none)" : g.key, g.requests, g.cost]));
    const byKey = await report("since=7d&by=key");
    expect((await tableRows(page, "table-keys")).map((r) => r[0])).toEqual(byKey.groups.slice(0, 10).map((g) => (g.key === "" ? "(none)" : g.key)));
    const guard = await tableRows(page, "table-guardrails");
    expect(guard.find((r) => r[0] === "chat")!.slice(1)).toEqual([1, 0, 1]);
    const fallbacks = await tableRows(page, "table-fallbacks");
    expect(fallbacks.find((r) => r[0] === "big")![2]).toBe(byModel.groups.find((g) => g.key === "big")!.fallbacks);

    const budgets = (await (await fetch(`${scene.gw.base}/admin/budgets`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { budgets: { spent: number; reserved: number; limit: number }[] };
    const shown = await page.$$eval("#budgets .budget", (els) => els.map((e) => {
      const data = (e as unknown as { dataset: Record<string, string> }).dataset;
      return [Number(data["used"]), Number(data["limit"])];
    }));
    expect(shown).toEqual(budgets.budgets.map((b) => [b.spent + b.reserved, b.limit]));
    // A per-day window: "Nh Mm left", or "Mm left" in the day's last hour (CI may run at any time).
    expect(await page.textContent("#budgets")).toMatch(/of \$10\.00 .*(\d+h )?\d+m left/);
    const ready = (await (await fetch(`${scene.gw.base}/readyz`)).json()) as { policy: string };
    expect(await page.textContent("#policy-badge")).toBe(ready.policy);
    expect(await page.textContent("#policy")).toContain(`source${scene.dir}`);

    await page.fill("#request-id", scene.fallbackId);
    await page.click("#lookup button[type=submit]");
    await page.waitForSelector("#lookup-record");
    expect(await page.textContent("#lookup-record dd[data-field=route]")).toMatch(/^chat \(.*main\.route:\d+\)$/);
    expect(await page.textContent("#lookup-record dd[data-field=attempts]")).toMatch(/^mini 503 .* → big 200/);

    const dom = await page.content();
    for (const secret of SECRETS) expect(dom, `the page shows ${secret.slice(0, 16)}`).not.toContain(secret);
    expect(page.url()).toBe(`${scene.gw.base}/ui`);
    await page.screenshot({ path: join(DOCS, "dashboard.png"), fullPage: true });
    await page.context().close();
    expect(problems).toEqual([]);
  });

  it("fits a phone's width", async () => {
    const { page } = await openPage({ width: 390, height: 844 }, true);
    await page.goto(`${scene.gw.base}/ui`);
    await signIn(page, ADMIN_TOKEN);
    await page.waitForSelector("body[data-loaded]");
    // A string, evaluated in the page: this project compiles without the DOM's types.
    const widths = (await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      chart: document.querySelector("#chart-traffic canvas").getBoundingClientRect().width,
      tile: document.querySelector("#tile-requests").getBoundingClientRect().right,
    })`)) as { page: number; chart: number; tile: number };
    expect(widths.page).toBeLessThanOrEqual(390);
    expect(widths.chart).toBeLessThanOrEqual(390);
    expect(widths.tile).toBeLessThanOrEqual(390);
    expect(await num(page, "#tile-requests")).toBe((await report("since=24h")).totals.requests);
    await page.screenshot({ path: join(DOCS, "dashboard-phone.png") });
    await page.context().close();
    expect(problems).toEqual([]);
  });

  it("does not exist without an admin token in the policy", async () => {
    const { serve } = await import("../observe/serve.js");
    const dir = policyDir({ "main.route": 'gateway { auth none  state memory }\nprovider m { api mock }\nmodel a = m/"a"\nroute r { to a }\n' });
    const gw = await serve(dir, {}, ["--no-access-log"]);
    expect((await fetch(`${gw.base}/ui`)).status).toBe(404);
    expect((await fetch(`${gw.base}/admin/usage`)).status).toBe(404);
    await gw.stop();
  });
});
