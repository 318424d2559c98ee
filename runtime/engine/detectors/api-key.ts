/**
 * `api_key`: secrets in the formats providers publish, so a pasted key is
 * caught without flagging every long random-looking word:
 * OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`), AWS access key ids
 * (`AKIA…`, `ASIA…`), GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`,
 * `github_pat_`), GitLab (`glpat-`), Slack (`xoxb-`, `xoxp-`, `xoxa-`,
 * `xoxr-`, `xoxs-`), Stripe (`sk_live_`, `rk_test_`, …), Google (`AIza…`),
 * Hugging Face (`hf_…`), JSON Web Tokens and PEM private key headers.
 */
import { regexDetector, type Detector } from "./detector.js";

const FORMATS = [
  String.raw`sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_\-]{20,}`,
  String.raw`(?:AKIA|ASIA)[0-9A-Z]{16}`,
  String.raw`gh[pousr]_[A-Za-z0-9]{36,}`,
  String.raw`github_pat_[A-Za-z0-9_]{22,}`,
  String.raw`glpat-[A-Za-z0-9_\-]{20,}`,
  String.raw`xox[abposr]-[A-Za-z0-9\-]{10,}`,
  String.raw`(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}`,
  String.raw`AIza[0-9A-Za-z_\-]{35}`,
  String.raw`hf_[A-Za-z0-9]{30,}`,
  String.raw`eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`,
  String.raw`-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----`,
];

/** The API key detector; placeholder `[API_KEY]`. */
export function apiKeyDetector(): Detector {
  return regexDetector({
    name: "api_key",
    placeholder: "[API_KEY]",
    regex: new RegExp(String.raw`(?<![A-Za-z0-9_\-])(?:${FORMATS.join("|")})(?![A-Za-z0-9_\-])`, "g"),
  });
}
