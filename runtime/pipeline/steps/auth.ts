/**
 * auth: who is calling — a bearer key (or `x-api-key`) looked up in `keys`,
 * or a bearer JWT verified against the policy's `jwt` blocks; revoked keys
 * and tokens are refused. A 401 for a missing, unknown or revoked
 * credential, unless the policy says `auth none`. Synchronous unless a
 * token has to be verified.
 */
import { identify } from "../auth.js";
import type { ChatContext, ChatStep } from "../context.js";
import type { Caller } from "../../engine/index.js";
import type { Reply } from "../respond.js";

export const auth: ChatStep = (ctx, next) => {
  const caller = identify(ctx.rt, ctx.input.headers);
  return caller instanceof Promise ? caller.then((c) => identified(ctx, c, next)) : identified(ctx, caller, next);
};

function identified(ctx: ChatContext, caller: Caller, next: () => Promise<Reply | null>): Promise<Reply | null> {
  ctx.caller = caller;
  ctx.record.add({ kind: "caller", caller });
  return next();
}
