/**
 * fast-check: random interleavings of requests (JSON and streaming) and
 * reloads (valid and invalid). Every request sees exactly one version end
 * to end — its `x-aigw-policy`, its target and the upstream model of every
 * chunk agree — and that version was live at some point while the request
 * ran; an invalid reload never changes what is served.
 */
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fsSource } from "../../runtime/server/reload/index.js";
import { startReloading, stopAll, streamModels, tempDir, upstreamOf, versionText, VERSIONS, writeFile, type Running, type Version } from "./helpers.js";

type Invalid = "syntax" | "failing-test" | "unknown-model";
type Op = { kind: "request"; stream: boolean } | { kind: "probe" } | { kind: "reload"; to: Version | Invalid } | { kind: "settle" };

const INVALID: Record<Invalid, string> = {
  syntax: 'provider demo { api mock }\nroute chat { when model == "chat" to a ) }\n',
  "failing-test": versionText("b", { testExpects: "c" }),
  "unknown-model": versionText("c").replace('to c }', "to nowhere }"),
};
const LATENCY = "2ms";

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.boolean().map((stream): Op => ({ kind: "request", stream })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "probe" }) },
  { weight: 3, arbitrary: fc.constantFrom<Version | Invalid>(...VERSIONS, "syntax", "failing-test", "unknown-model").map((to): Op => ({ kind: "reload", to })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "settle" }) },
);

let run: Running;
let file: string;
const policyOf = new Map<Version, string>();

beforeAll(async () => {
  const dir = tempDir({ "main.route": versionText("a", { latency: LATENCY }) });
  file = join(dir, "main.route");
  run = await startReloading(fsSource([dir]));
  // Learn each version's policy hash (it hashes the file's path and text).
  for (const v of VERSIONS) {
    writeFile(file, versionText(v, { latency: LATENCY }));
    await run.reloader.reload("signal");
    policyOf.set(v, run.reloader.graph.policy);
  }
});
afterAll(stopAll);

interface Seen {
  status: number;
  policy: string | null;
  target: string | null;
  models: string[];
  complete: boolean;
}

async function request(stream: boolean): Promise<Seen> {
  const res = await fetch(`${run.base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", stream, messages: [{ role: "user", content: "one two three four five" }] }),
  });
  const text = await res.text();
  const models = stream ? streamModels(text) : [(JSON.parse(text) as { model: string }).model];
  const complete = stream ? text.trimEnd().endsWith("data: [DONE]") : true;
  return { status: res.status, policy: res.headers.get("x-aigw-policy"), target: res.headers.get("x-aigw-target"), models, complete };
}

describe("requests interleaved with reloads", () => {
  it("each see exactly one live version, and invalid reloads change nothing", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        writeFile(file, versionText("a", { latency: LATENCY }));
        await run.reloader.reload("signal");
        // Versions in the order they went live; a request may see any that was live while it ran.
        const live: Version[] = ["a"];
        const inFlight: Promise<void>[] = [];
        const check = (seen: Seen, allowed: readonly Version[]): void => {
          expect(seen.status).toBe(200);
          expect(seen.complete).toBe(true);
          const v = VERSIONS.find((x) => policyOf.get(x) === seen.policy);
          expect(v !== undefined && allowed.includes(v)).toBe(true);
          expect(seen.target).toBe(v);
          expect(seen.models).toEqual([upstreamOf(v!)]);
        };
        for (const o of ops) {
          if (o.kind === "request") {
            const from = live.length - 1;
            inFlight.push(request(o.stream).then((seen) => check(seen, live.slice(from))));
          } else if (o.kind === "probe") {
            check(await request(false), [live[live.length - 1]!]);
          } else if (o.kind === "settle") {
            await Promise.all(inFlight.splice(0));
          } else {
            const valid = (VERSIONS as readonly string[]).includes(o.to);
            writeFile(file, valid ? versionText(o.to as Version, { latency: LATENCY }) : INVALID[o.to as Invalid]);
            const outcome = await run.reloader.reload("signal");
            const current = live[live.length - 1]!;
            if (!valid) expect(outcome.status).toBe("rejected");
            else if (o.to === current) expect(outcome.status).toBe("unchanged");
            else {
              expect(outcome.status).toBe("applied");
              live.push(o.to as Version);
            }
            expect(run.reloader.graph.policy).toBe(policyOf.get(live[live.length - 1]!));
          }
        }
        await Promise.all(inFlight);
        check(await request(true), [live[live.length - 1]!]);
      }),
      { numRuns: 30 },
    );
  });
});
