/**
 * Every admin endpoint, in one place, behind one guard (guard.ts: the
 * policy's `admin_token`, compared in constant time; 404 when none is set):
 *
 *   GET  /admin/budgets   budget and limit counters (budgets.ts)
 *   GET  /admin/policy    the policy serving, refused reloads (reload.ts)
 *   POST /admin/reload    reload now (reload.ts)
 *   GET  /admin/usage     the usage ledger's report (usage.ts)
 *   GET  /admin/requests  a recent request's decision record (usage.ts)
 *   GET  /admin/health    ejected targets and ejections (usage.ts)
 *   GET  /admin/shadow    the shadow candidate's differences (shadow.ts)
 *   GET  /ui              the dashboard over them (ui.ts; its data needs the token)
 */
export { requireAdmin, type Handler, type RouteTable } from "./guard.js";
export { budgetRoutes, budgetsBody, type BudgetRow } from "./budgets.js";
export { reloadRoutes } from "./reload.js";
export { usageRoutes, type UsageRouteOptions } from "./usage.js";
export { uiRoutes } from "./ui.js";
export { shadowRoutes } from "./shadow.js";
