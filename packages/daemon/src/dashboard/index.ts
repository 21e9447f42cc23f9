/**
 * The web dashboard (docs/dashboard.md): pages and the session-authenticated API pass-through
 * (routes.ts, mounted by api/app.ts) and the live event socket (events-socket.ts, daemon.ts).
 */
export { dashboardEventsUpgrade } from "./events-socket.ts";
export { type DashboardDeps, dashboardRoutes } from "./routes.ts";
export { Sessions } from "./sessions.ts";
