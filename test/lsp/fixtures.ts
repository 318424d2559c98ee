/** A two-file policy the language server tests edit: main.route imports models.route. */
export const MODELS = `provider openai { api mock }

model big = openai/"gpt-4o" { input $2.50/Mtok  output $10/Mtok  context 128k  max_output 16k }
model mini = openai/"gpt-4o-mini" { input $0.15/Mtok  output $0.60/Mtok  context 128k }
`;

export const MAIN = `gateway { auth none  state memory }

import "models.route"

budget team-daily { per team  limit $200 per day  warn 80%  exceeded downgrade mini }
limit per-key { per key  requests 600 per minute }
guardrail pii { on input  redact email, phone }

route chat {
  when model == "chat" and team == "search"
  guard pii
  budget team-daily
  limit per-key
  to big
  fallback mini on 429, 5xx
}

route rest {
  to mini
}

test "chat goes to big" {
  request { model "chat" team "search" }
  expect route chat
  expect target big
}

test "others go to mini" {
  request { model "other" }
  expect route rest
}
`;

/** The 0-based line and character of the `nth` occurrence of `needle` in `text`, plus `shift` characters. */
export function at(text: string, needle: string, nth = 0, shift = 0): { line: number; character: number } {
  let i = -1;
  for (let n = 0; n <= nth; n++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`no ${JSON.stringify(needle)} #${nth}`);
  }
  i += shift;
  const before = text.slice(0, i);
  const line = before.split("\n").length - 1;
  return { line, character: i - (before.lastIndexOf("\n") + 1) };
}
