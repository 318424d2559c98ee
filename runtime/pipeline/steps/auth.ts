/** auth: who is calling (a 401 for a missing or unknown key, unless the policy says `auth none`). */
import { authenticate } from "../auth.js";
import type { ChatStep } from "../context.js";

export const auth: ChatStep = (ctx, next) => {
  ctx.caller = authenticate(ctx.rt.callers, ctx.input.headers["authorization"]);
  ctx.record.add({ kind: "caller", caller: ctx.caller });
  return next();
};
