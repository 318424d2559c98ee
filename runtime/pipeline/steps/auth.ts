/** auth: who is calling, by bearer key or `x-api-key` (a 401 for a missing or unknown key, unless the policy says `auth none`). */
import { authenticate, credentialOf } from "../auth.js";
import type { ChatStep } from "../context.js";

export const auth: ChatStep = (ctx, next) => {
  ctx.caller = authenticate(ctx.rt.callers, credentialOf(ctx.input.headers));
  ctx.record.add({ kind: "caller", caller: ctx.caller });
  return next();
};
