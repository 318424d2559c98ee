/**
 * The revocation list: key hashes (`sha256:<hex>`), token ids (`jti:<id>`)
 * and token subjects (`sub:<subject>`) that may no longer call, one per
 * line, `#` starting a comment. It lives in a file `aigw serve` watches
 * (gateway `revoked`), not in the policy, so revoking a leaked key or a
 * departed user's tokens takes effect in seconds without a policy change.
 *
 * Parsing is pure; a line that is none of the three forms is a problem
 * reported with its line number, and the list is refused as a whole (a
 * typo could otherwise leave a key meant to be revoked working).
 */

/** What may no longer call. */
export class Revocations {
  static readonly EMPTY = new Revocations(new Set());
  constructor(readonly ids: ReadonlySet<string>) {}

  /** True when `id` (`sha256:…`, `jti:…` or `sub:…`) is revoked. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }
}

export type ParsedRevocations = { ok: true; list: Revocations } | { ok: false; problems: string[] };

const KEY_HASH = /^sha256:[0-9a-f]{64}$/;

/** Parses a revocation file's text. */
export function parseRevocations(text: string): ParsedRevocations {
  const ids = new Set<string>();
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf("#");
    const line = (hash < 0 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
    if (line === "") continue;
    if (KEY_HASH.test(line) || ((line.startsWith("jti:") || line.startsWith("sub:")) && line.length > 4 && !/\s/.test(line))) ids.add(line);
    else problems.push(`line ${i + 1}: expected \`sha256:<64 hex digits>\`, \`jti:<token id>\` or \`sub:<subject>\`, found \`${line.slice(0, 80)}\``);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, list: new Revocations(ids) };
}
