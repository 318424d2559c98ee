/**
 * Every admin endpoint, in one place, behind one guard (guard.ts: the
 * policy's `admin_token`, compared in constant time; 404 when none is set):
 *
 *   GET  /admin/budgets   budget and limit counters (budgets.ts)
 *   GET  /admin/policy    the policy serving, refused reloads (reload.ts)
 *   POST /admin/reload    reload now (reload.ts)
 */
export { requireAdmin, type Handler, type RouteTable } from "./guard.js";
export { budgetRoutes, budgetsBody, type BudgetRow } from "./budgets.js";
export { reloadRoutes } from "./reload.js";
