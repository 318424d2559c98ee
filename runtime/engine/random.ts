/**
 * A small seeded random source (mulberry32) for policy tests and property
 * tests: deterministic, fast, good enough for draws and jitter. The server
 * passes its own source; nothing in the engine calls Math.random.
 */
import { fnv1a } from "./split.js";

/** A deterministic uniform [0, 1) generator for a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from a string (a test's name), so each test has its own fixed sequence. */
export function seedOf(s: string, salt = 0): number {
  return (fnv1a(s, 0x811c9dc5) ^ salt) >>> 0;
}
