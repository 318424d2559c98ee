/** "Did you mean" lives in lang/ (the parser suggests keywords too); the compiler's passes import it from here. */
export { didYouMean, editDistance, suggest } from "../lang/suggest.js";
