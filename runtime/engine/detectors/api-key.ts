/**
 * `api_key`: secrets in the formats providers publish, so a pasted key is
 * caught without flagging every long random-looking word:
 * OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`), AWS access key ids
 * (`AKIA…`, `ASIA…`), GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`,
 * `github_pat_`), GitLab (`glpat-`), Slack (`xoxb-`, `xoxp-`, `xoxa-`,
 * `xoxr-`, `xoxs-`), Stripe (`sk_live_`, `rk_test_`, …), Google (`AIza…`),
 * Hugging Face (`hf_…`), JSON Web Tokens and PEM private key headers.
 *
 * Every format is bounded (a key body of at most 256 characters; a JWT's
 * header at most 256, its payload and signature at most 1024 each), so a
 * stream can be inspected with a bounded hold-back (`Detector.maxSpan`); a
 * longer run is not a key of these formats.
 */
import { regexDetector, type Detector } from "./detector.js";

const FORMATS = [
  String.raw`sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_\-]{20,256}`,
  String.raw`(?:AKIA|ASIA)[0-9A-Z]{16}`,
  String.raw`gh[pousr]_[A-Za-z0-9]{36,256}`,
  String.raw`github_pat_[A-Za-z0-9_]{22,256}`,
  String.raw`glpat-[A-Za-z0-9_\-]{20,256}`,
  String.raw`xox[abposr]-[A-Za-z0-9\-]{10,256}`,
  String.raw`(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,256}`,
  String.raw`AIza[0-9A-Za-z_\-]{35}`,
  String.raw`hf_[A-Za-z0-9]{30,256}`,
  String.raw`eyJ[A-Za-z0-9_\-]{8,256}\.eyJ[A-Za-z0-9_\-]{8,1024}\.[A-Za-z0-9_\-]{8,1024}`,
  String.raw`-----BEGIN (?:[A-Z]{1,32} )?PRIVATE KEY-----`,
];

/** The longest match (a JWT: 3 + 256 + 4 + 1024 + 1 + 1024) and the end check's character. */
const MAX_SPAN = 2313;

/** The API key detector; placeholder `[API_KEY]`. */
export function apiKeyDetector(): Detector {
  return regexDetector({
    name: "api_key",
    placeholder: "[API_KEY]",
    maxSpan: MAX_SPAN,
    regex: new RegExp(String.raw`(?<![A-Za-z0-9_\-])(?:${FORMATS.join("|")})(?![A-Za-z0-9_\-])`, "g"),
  });
}
