/**
 * The same edge suite on the package's pure Node fallback, which is what runs
 * where no native binding exists (the env flag is read when the package loads).
 */
process.env.UWS_USE_FALLBACK = "1";
await import("./uws.test.js");
