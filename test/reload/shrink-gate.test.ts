/** The reload gate's rules, on graphs from the real compiler. */
import { describe, expect, it } from "vitest";
import { shrinkRefusal } from "../../runtime/server/reload/shrink-gate.js";
import { KEY_HASH, policy } from "../server/helpers.js";

const head = (gateway = "") => `
gateway { state memory ${gateway} }
provider demo { api mock }
model fast = demo/"mock-fast"
`;
const KEYS = `keys { "${KEY_HASH}" team "t" }\n`;
const routes = (...names: string[]) => names.map((n) => `route ${n} { when model == "${n}"  to fast }\n`).join("");

describe("shrinkRefusal", () => {
  const serving = policy(head() + KEYS + routes("a", "b", "c", "d"));

  it("lets a policy through that keeps its routes and keys, or removes up to half the routes", () => {
    expect(shrinkRefusal(serving, policy(head() + KEYS + routes("a", "b", "c", "d", "e")))).toBeUndefined();
    expect(shrinkRefusal(serving, policy(head() + KEYS + routes("a", "b")))).toBeUndefined();
  });

  it("refuses a policy with no route, with no key under auth keys, or removing more than half the routes", () => {
    expect(shrinkRefusal(serving, policy(head() + KEYS))).toMatch(/has no route/);
    expect(shrinkRefusal(serving, policy(head() + routes("a", "b", "c", "d")))).toMatch(/has no key while `auth keys`/);
    expect(shrinkRefusal(serving, policy(head() + KEYS + routes("a")))).toMatch(/removes 3 of 4 routes \(`b`, `c`, `d`\)/);
    // renaming counts as removing
    expect(shrinkRefusal(serving, policy(head() + KEYS + routes("a", "x", "y", "z")))).toMatch(/removes 3 of 4/);
  });

  it("follows the new policy's reload_max_drop", () => {
    expect(shrinkRefusal(serving, policy(head("reload_max_drop 75%") + KEYS + routes("a")))).toBeUndefined();
    expect(shrinkRefusal(serving, policy(head("reload_max_drop 0%") + KEYS + routes("a", "b", "c")))).toMatch(/removes 1 of 4/);
    expect(shrinkRefusal(serving, policy(head("reload_max_drop 100%")))).toBeUndefined();
    expect(shrinkRefusal(serving, policy(head("auth none") + routes("a", "b", "c", "d")))).toBeUndefined();
  });
});
