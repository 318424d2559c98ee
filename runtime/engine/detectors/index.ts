/**
 * The detector registry: built-in detectors by name, and the compiler from a
 * graph `DetectorNode` to a `Detector`.
 */
import type { BuiltinDetector, DetectorNode } from "../../../compiler/graph.js";
import { apiKeyDetector } from "./api-key.js";
import { creditCardDetector } from "./credit-card.js";
import { denyDetector } from "./deny.js";
import type { Detector } from "./detector.js";
import { emailDetector } from "./email.js";
import { ibanDetector } from "./iban.js";
import { ipAddressDetector } from "./ip-address.js";
import { patternDetector } from "./pattern.js";
import { phoneDetector } from "./phone.js";

export type { Detector } from "./detector.js";

const BUILTINS: Record<BuiltinDetector, () => Detector> = {
  email: emailDetector,
  phone: phoneDetector,
  credit_card: creditCardDetector,
  iban: ibanDetector,
  api_key: apiKeyDetector,
  ip_address: ipAddressDetector,
};

/** The names of the built-in detectors. */
export const BUILTIN_DETECTORS = Object.keys(BUILTINS) as BuiltinDetector[];

/**
 * A detector for a graph node; `window` is its guardrail's `window N`, the
 * bound of a pattern whose regex has none. Throws for an unknown built-in
 * or a bad regex (prepare turns that into a GraphError).
 */
export function compileDetector(node: DetectorNode, window?: number): Detector {
  switch (node.kind) {
    case "builtin": {
      const make = Object.hasOwn(BUILTINS, node.name) ? BUILTINS[node.name] : undefined;
      if (make === undefined) throw new Error(`unknown detector \`${node.name}\``);
      return make();
    }
    case "pattern":
      return patternDetector(node.source, node.flags, window);
    case "deny":
      return denyDetector(node.words);
  }
}
