/**
 * bench/child: the entry point of every node child a bench starts
 * (`node dist/bench/child.js ROLE [args]`, see bench/children.ts): the mock
 * upstream, aigw under test, the bare relay, and the load generator.
 */
import { gatewayRole } from "./roles/gateway.js";
import { loadRole } from "./roles/load.js";
import { relayRole } from "./roles/relay.js";
import { upstreamRole } from "./roles/upstream.js";

const ROLES: Record<string, (args: readonly string[]) => Promise<void>> = {
  upstream: upstreamRole,
  gateway: gatewayRole,
  relay: relayRole,
  load: loadRole,
};

const [role, ...args] = process.argv.slice(2);
const run = role === undefined ? undefined : ROLES[role];
if (run === undefined) {
  console.error(`bench/child: unknown role \`${role ?? ""}\` (one of ${Object.keys(ROLES).join(", ")})`);
  process.exit(2);
}
run(args).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
