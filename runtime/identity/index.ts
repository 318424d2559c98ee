/** Who is calling beyond static keys: signed tokens (`jwt` blocks) and the revocation list. */
export { KeySets, type ReadKeyFile } from "./key-sets.js";
export { parseRevocations, Revocations, type ParsedRevocations } from "./revoked.js";
export { TokenRefused, TokenVerifier, unverifiedCaller, type TokenCaller } from "./tokens.js";
export { RevocationWatch, type RevocationLog } from "./watch.js";
