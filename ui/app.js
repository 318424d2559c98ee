// The aigw dashboard: reads the admin endpoints with the token kept in this
// tab's sessionStorage and draws them. Plain browser JavaScript, no build
// step; every value is written with textContent (names come from the policy,
// request ids from callers: none is ever parsed as HTML).
"use strict";
(function () {
  const TOKEN_KEY = "aigw-admin-token";
  /** The traffic chart's step for each range. */
  const STEPS = { "1h": "1m", "24h": "1h", "7d": "1h", "30d": "1d" };
  const COLORS = ["#2f6fdf", "#d08a1d", "#237a3b", "#9b3fb5", "#c2352b", "#14868c", "#6b7a8f", "#b5651d"];
  const $ = (id) => document.getElementById(id);
  const charts = [];

  class Refused extends Error {}

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  async function api(path) {
    const res = await fetch(path, { headers: { authorization: "Bearer " + token(), accept: "application/json" }, cache: "no-store" });
    if (res.status === 401) throw new Refused("the gateway refused the admin token");
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((body && body.error && body.error.message) || path + " answered " + res.status);
    return body;
  }

  // ------------------------------------------------------------ DOM helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "data") for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = String(dv);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    return e;
  }

  /** A table: `rows` are arrays of cells; a number cell keeps its exact value in data-value. */
  function fillTable(table, head, rows) {
    table.replaceChildren(
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c, i) => (i > 0 && typeof c === "number" ? el("td", { data: { value: c } }, fmt(c)) : el("td", {}, c == null ? "–" : c)))))),
    );
  }

  function fmt(n) {
    if (n == null) return "–";
    return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 4 });
  }
  const money = (n) => "$" + n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: n < 1 ? 6 : 2 });
  const ms = (n) => (n == null ? "–" : n < 1 ? (n * 1000).toFixed(0) + " µs" : n < 1000 ? n.toFixed(1) + " ms" : (n / 1000).toFixed(2) + " s");
  const name = (k) => (k === "" ? "(none)" : k);

  function duration(msLeft) {
    if (msLeft <= 0) return "resetting";
    const m = Math.round(msLeft / 60000);
    if (m < 60) return m + "m left";
    const h = Math.floor(m / 60);
    if (h < 48) return h + "h " + (m % 60) + "m left";
    return Math.floor(h / 24) + "d " + (h % 24) + "h left";
  }

  // ------------------------------------------------------------ charts

  function chart(container, title, xs, series, valueFmt) {
    const width = Math.max(240, container.clientWidth || 300);
    const opts = {
      width,
      height: width < 480 ? 180 : 220,
      legend: { show: true },
      scales: { x: { time: true } },
      axes: [{}, { values: (u, vals) => vals.map(valueFmt) , size: 60 }],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: xs.length < 40 }, value: (u, v) => (v == null ? "–" : valueFmt(v)) }))],
    };
    container.replaceChildren();
    const u = new uPlot(opts, [xs, ...series.map((s) => s.values)], container);
    u.root.setAttribute("aria-label", title);
    charts.push({ u, container });
    return u;
  }

  window.addEventListener("resize", () => {
    for (const c of charts) c.u.setSize({ width: Math.max(240, c.container.clientWidth || 300), height: c.u.height });
  });

  /** One line per group over a report's series; the same numbers go into the data table. */
  function groupChart(report, field, chartId, tableId, valueFmt) {
    const points = report.series.points;
    const keys = report.groups.map((g) => g.key).slice(0, COLORS.length);
    const xs = points.map((p) => Date.parse(p.start) / 1000);
    const series = keys.map((k) => ({ label: name(k), values: points.map((p) => (p.groups[k] ? p.groups[k][field] : 0)) }));
    chart($(chartId), chartId, xs, series, valueFmt);
    fillTable(
      $(tableId),
      ["from", ...keys.map(name)],
      points.map((p) => [p.start.replace("T", " ").slice(0, 16), ...keys.map((k) => (p.groups[k] ? p.groups[k][field] : 0))]),
    );
  }

  // ------------------------------------------------------------ panels

  function tiles(t) {
    const tile = (label, value, id) => el("div", { class: "tile", id }, el("div", { class: "label" }, label), el("div", { class: "value" }, value));
    $("totals").replaceChildren(
      tile("requests", fmt(t.requests), "tile-requests"),
      tile("errors", fmt(t.errors), "tile-errors"),
      tile("spend", money(t.cost), "tile-cost"),
      tile("input tokens", fmt(t.inputTokens), "tile-input"),
      tile("output tokens", fmt(t.outputTokens), "tile-output"),
      tile("p95 latency", ms(t.latencyMs.p95), "tile-p95"),
    );
    for (const [id, v] of [["tile-requests", t.requests], ["tile-errors", t.errors], ["tile-cost", t.cost], ["tile-input", t.inputTokens], ["tile-output", t.outputTokens]]) $(id).dataset.value = String(v);
  }

  function traffic(r) {
    const points = r.series.points;
    const xs = points.map((p) => Date.parse(p.start) / 1000);
    const req = points.map((p) => (p.groups.total ? p.groups.total.requests : 0));
    const err = points.map((p) => (p.groups.total ? p.groups.total.errors : 0));
    chart($("chart-traffic"), "requests and errors", xs, [{ label: "requests", values: req }, { label: "errors", values: err }], fmt);
    fillTable($("table-traffic"), ["from", "requests", "errors"], points.map((p, i) => [p.start.replace("T", " ").slice(0, 16), req[i], err[i]]));
  }

  function top(r, tableId) {
    fillTable(
      $(tableId),
      [r.by, "requests", "errors", "input tok", "output tok", "cost $"],
      r.groups.slice(0, 10).map((g) => [name(g.key), g.requests, g.errors, g.inputTokens, g.outputTokens, g.cost]),
    );
  }

  function latency(total, byModel) {
    const row = (label, s) => [label, s.requests, s.latencyMs.p50, s.latencyMs.p95, s.latencyMs.p99, s.overheadMs.p50, s.overheadMs.p95, s.overheadMs.p99];
    fillTable($("table-latency"), ["", "requests", "p50 ms", "p95 ms", "p99 ms", "overhead p50", "overhead p95", "overhead p99"], [row("all", total), ...byModel.groups.map((g) => row(name(g.key), g))]);
  }

  function reliability(byModel, health) {
    fillTable($("table-fallbacks"), ["model", "requests", "fell back", "skipped ejected", "errors"], byModel.groups.map((g) => [name(g.key), g.requests, g.fallbacks, g.skipped, g.errors]));
    const ejected = new Set(health.targets.filter((t) => !t.healthy).map((t) => t.target));
    fillTable(
      $("table-ejections"),
      ["target", "ejected now", "ejections", "cause"],
      health.ejections.length === 0 && ejected.size === 0 ? [["no ejections", "", "", ""]] : health.ejections.map((e) => [e.target, ejected.has(e.target) ? "yes" : "no", e.count, e.cause]),
    );
  }

  function guardrails(byRoute) {
    fillTable(
      $("table-guardrails"),
      ["route", "redacted", "flagged", "blocked"],
      byRoute.groups.map((g) => [name(g.key), g.guardrails.redacted, g.guardrails.flagged, g.guardrails.blocked]),
    );
  }

  function budgets(b) {
    const now = Date.now();
    const box = $("budgets");
    if (b.budgets.length === 0 && b.limits.length === 0) {
      box.replaceChildren(el("p", { class: "muted" }, "nothing spent against a budget or limit in its current window"));
      return;
    }
    const item = (title, used, limit, unit, resetAt) => {
      const share = limit > 0 ? used / limit : 0;
      const bar = el("div", { class: "bar" + (share >= 1 ? " over" : share >= 0.8 ? " warn" : "") }, el("span", {}));
      bar.firstChild.style.width = Math.min(100, share * 100).toFixed(1) + "%";
      return el(
        "div",
        { class: "budget", data: { used, limit } },
        el("div", { class: "line" }, el("strong", {}, title), el("span", {}, unit(used) + " of " + unit(limit) + " · " + (share * 100).toFixed(1) + "% · " + duration(Date.parse(resetAt) - now))),
        bar,
      );
    };
    box.replaceChildren(
      ...b.budgets.map((x) => item("budget " + x.budget + " · " + x.scope, x.spent + x.reserved, x.limit, money, x.resetAt)),
      ...b.limits.map((x) => item("limit " + x.name + " (" + x.measure + ") · " + x.scope, x.used, x.limit, fmt, x.resetAt)),
    );
  }

  function policy(p) {
    $("policy-badge").textContent = p.active.policy;
    const src = p.active.source;
    const source = src.kind === "git" ? "git " + src.ref + " @ " + String(src.commit).slice(0, 12) : src.paths ? src.paths.join(", ") : JSON.stringify(src);
    const pairs = [
      ["version", p.active.policy],
      ["source", source],
      ["routes", String(p.active.routes)],
      ["loaded", p.active.loadedAt + " (" + p.active.trigger + ")"],
      ["reloads", Object.entries(p.reloads).map(([k, v]) => k + " " + v).join(" · ")],
    ];
    $("policy").replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("refusals").replaceChildren(
      ...(p.recentRejected.length === 0
        ? [el("li", { class: "muted" }, "none")]
        : p.recentRejected.map((r) =>
            el("li", {}, r.at + " (" + r.trigger + "): " + (r.error || r.diagnostics.map((d) => d.message).concat(r.failedTests.map((t) => "test " + t.name + " failed")).join("; "))),
          )),
    );
  }

  async function lookup(id) {
    const out = $("lookup-result");
    try {
      const e = await api("/admin/requests?id=" + encodeURIComponent(id));
      const tries = (e.attempts || []).map((a) => a.target + (a.status ? " " + a.status : "") + (a.error ? " " + a.error : "") + (a.ms != null ? " (" + a.ms + " ms)" : ""));
      const pairs = [
        ["request", e.requestId],
        ["status", String(e.status) + (e.error ? " " + e.error : "")],
        ["route", e.route ? e.route + (e.source ? " (" + e.source + ")" : "") : "no route matched"],
        ["attempts", tries.length ? tries.join(" → ") : "none"],
        ["target", e.target || "–"],
        ["caller", [e.team && "team " + e.team, e.user && "user " + e.user, e.keyId && "key " + e.keyId].filter(Boolean).join(", ") || "–"],
        ["tokens", e.promptTokens != null ? e.promptTokens + " in, " + e.completionTokens + " out" : "–"],
        ["cost", e.cost != null ? money(e.cost) : "–"],
        ["policy", e.policy],
      ];
      if (e.guardrails) pairs.push(["guardrails", e.guardrails.map((g) => g.guardrail + " " + g.action + " (" + g.by + ")").join(", ")]);
      if (e.rejectedBy) pairs.push(["refused by", e.rejectedBy.kind + " " + e.rejectedBy.name]);
      const children = [el("dl", { id: "lookup-record" }, ...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { data: { field: k } }, v)]))];
      if (e.decision) children.push(el("details", {}, el("summary", {}, "decision record"), el("pre", {}, JSON.stringify(e.decision, null, 2))));
      out.replaceChildren(...children);
    } catch (err) {
      if (err instanceof Refused) return signOut(err.message);
      out.replaceChildren(el("p", { class: "error" }, err.message));
    }
  }

  // ------------------------------------------------------------ loading

  async function load() {
    const range = $("range").value;
    const q = "since=" + encodeURIComponent(range);
    const dayStep = range === "1h" || range === "24h" ? "1h" : "1d";
    try {
      const [total, byTeam, byModel, byKey, byRoute, budgetsBody, health, policyBody, recent] = await Promise.all([
        api("/admin/usage?" + q + "&step=" + STEPS[range]),
        api("/admin/usage?" + q + "&by=team&step=" + dayStep),
        api("/admin/usage?" + q + "&by=model&step=" + dayStep),
        api("/admin/usage?" + q + "&by=key"),
        api("/admin/usage?" + q + "&by=route"),
        api("/admin/budgets"),
        api("/admin/health"),
        api("/admin/policy"),
        api("/admin/requests"),
      ]);
      charts.length = 0;
      $("load-error").hidden = true;
      tiles(total.totals);
      traffic(total);
      $("panel-spend-team").querySelector("h2").textContent = dayStep === "1d" ? "Spend per day by team" : "Spend per hour by team";
      $("panel-spend-model").querySelector("h2").textContent = dayStep === "1d" ? "Spend per day by model" : "Spend per hour by model";
      groupChart(byTeam, "cost", "chart-spend-team", "table-spend-team", money);
      groupChart(byModel, "cost", "chart-spend-model", "table-spend-model", money);
      top(byModel, "table-models");
      top(byKey, "table-keys");
      budgets(budgetsBody);
      latency(total.totals, byModel);
      reliability(byModel, health);
      guardrails(byRoute);
      policy(policyBody);
      $("recent-ids").replaceChildren(...recent.latest.map((id) => el("option", { value: id })));
      document.body.dataset.loaded = String(Date.now());
    } catch (err) {
      if (err instanceof Refused) return signOut(err.message);
      $("load-error").textContent = err.message;
      $("load-error").hidden = false;
    }
  }

  function show(signedIn) {
    $("login").hidden = signedIn;
    $("dash").hidden = !signedIn;
    $("controls").hidden = !signedIn;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("policy-badge").textContent = "";
    $("login-error").textContent = message || "";
    show(false);
  }

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = $("token").value.trim();
    $("token").value = "";
    if (t === "") return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("login-error").textContent = "";
    show(true);
    void load();
  });
  $("logout").addEventListener("click", () => signOut(""));
  $("refresh").addEventListener("click", () => void load());
  $("range").addEventListener("change", () => void load());
  $("lookup").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = $("request-id").value.trim();
    if (id !== "") void lookup(id);
  });

  if (token()) {
    show(true);
    void load();
  } else show(false);
})();
