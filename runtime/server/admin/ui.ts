/**
 * `GET /ui`: the read-only dashboard, a static page (ui/ in the package:
 * plain HTML, JavaScript and CSS, no build step) with uPlot for the charts,
 * served from the installed `uplot` package — nothing is fetched from
 * anywhere but this gateway, and the Content-Security-Policy says so to the
 * browser (`default-src 'self'`, no inline script, no frames).
 *
 * The page carries no data. It asks for the admin token (a login form that
 * keeps it in sessionStorage, never in a URL) and reads everything through
 * the admin endpoints with `authorization: Bearer …`, so the data is exactly
 * as guarded as `/admin/*`. Like them, `/ui` does not exist (404) when the
 * policy sets no `admin_token`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Graph } from "../../../compiler/graph.js";
import { GatewayError } from "../../pipeline/errors.js";
import { packageRoot } from "../../package-root.js";
import type { HeaderList } from "../http.js";
import type { RouteTable } from "./guard.js";

const SECURITY: HeaderList = [
  ["content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"],
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "no-referrer"],
  ["cache-control", "no-cache"],
];

/** Where each file of the page comes from: the package's ui/ folder, or the uplot package. */
function assets(): Record<string, { file: string; type: string }> {
  const root = packageRoot()?.dir;
  if (root === undefined) throw new Error("the aigw package directory was not found");
  const uplot = dirname(createRequire(join(root, "package.json")).resolve("uplot"));
  return {
    "/ui": { file: join(root, "ui", "index.html"), type: "text/html; charset=utf-8" },
    "/ui/app.js": { file: join(root, "ui", "app.js"), type: "text/javascript; charset=utf-8" },
    "/ui/style.css": { file: join(root, "ui", "style.css"), type: "text/css; charset=utf-8" },
    "/ui/uplot.js": { file: join(uplot, "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    "/ui/uplot.css": { file: join(uplot, "uPlot.min.css"), type: "text/css; charset=utf-8" },
  };
}

/** The dashboard's routes; files are read once, on first use. */
export function uiRoutes(graph: () => Graph): RouteTable {
  let files: Record<string, { body: Buffer; headers: HeaderList }> | undefined;
  const load = () => {
    if (files !== undefined) return files;
    files = {};
    for (const [path, a] of Object.entries(assets())) files[path] = { body: readFileSync(a.file), headers: [["content-type", a.type], ...SECURITY] };
    return files;
  };
  const table: RouteTable = {};
  for (const path of ["/ui", "/ui/app.js", "/ui/style.css", "/ui/uplot.js", "/ui/uplot.css"]) {
    table[path] = {
      GET: (req, res) => {
        if (graph().gateway.adminToken === undefined) throw new GatewayError("not_found", `unknown path \`${req.method} ${req.path}\` (the dashboard needs \`admin_token\` in the gateway block)`);
        const f = load()[path]!;
        res.send(200, f.headers, f.body);
      },
    };
  }
  return table;
}
