/**
 * Makes the uWebSockets.js v20.57 Linux x64 bindings loadable on glibc 2.36
 * (Debian 12) and 2.37. Those bindings were built against glibc 2.38, and
 * the only thing they need from 2.38 is three C23 entry points that GCC's
 * headers pick when compiling for C23/C++23: `__isoc23_sscanf`,
 * `__isoc23_strtol` and `__isoc23_strtoul`. They differ from the classic
 * `sscanf`, `strtol` and `strtoul` (glibc 2.2.5) only in also reading the
 * C23 binary prefix `0b`/`0B` (for base 0 or 2, and for `%i`); everything
 * else the binary needs is in glibc 2.36 or older.
 *
 * This file edits a copy of the binary's bytes, in memory, so that the
 * dynamic loader binds those three references to the classic functions:
 *
 * - each symbol's `st_name` moves 9 bytes on into `.dynstr` (past
 *   `__isoc23_`; a string table may be indexed into the middle of a string),
 * - its `.gnu.version` entry becomes libc.so.6's `GLIBC_2.2.5` (already
 *   required by the binary, and the version those functions carry on x86-64),
 * - the `GLIBC_2.38` entry of libc.so.6 in `.gnu.version_r` is marked weak
 *   (`VER_FLG_WEAK`), so its absence is no longer fatal: no symbol uses it.
 *
 * Nothing else changes: not one other byte, and no size or offset. It
 * refuses (with the reason) anything that is not exactly that case: not a
 * little-endian ELF64 x86-64 shared object, section headers that disagree
 * with the dynamic section the loader reads, another symbol that needs
 * `GLIBC_2.38`, or any of the three that is not an undefined function.
 * Pure: bytes in, bytes out; uws-compat-copy.ts writes and loads the copy.
 */

/** One edit, for the log and the tests. */
export interface GlibcCompatEdit {
  readonly symbol: string;
  readonly becomes: string;
  /** Byte offsets in the file of the `st_name` field and the `.gnu.version` entry. */
  readonly nameOffset: number;
  readonly versionOffset: number;
}

export type GlibcCompatResult =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly edits: readonly GlibcCompatEdit[]; readonly weakenedOffset: number }
  | { readonly ok: false; readonly reason: string };

/** The glibc version the C23 entry points came in, and the prefix they add to the classic names. */
export const C23_VERSION = "GLIBC_2.38";
const C23_PREFIX = "__isoc23_";
/** The only symbols this knows to be safe to rebind, and the classic functions they become. */
const C23_SYMBOLS: ReadonlyMap<string, string> = new Map([
  ["__isoc23_sscanf", "sscanf"],
  ["__isoc23_strtol", "strtol"],
  ["__isoc23_strtoul", "strtoul"],
]);
/** The x86-64 baseline libc.so.6 version, which defines sscanf, strtol and strtoul. */
const BASE_VERSION = "GLIBC_2.2.5";
const LIBC = "libc.so.6";

const EM_X86_64 = 62;
const ET_DYN = 3;
const PT_LOAD = 1;
const SHT_STRTAB = 3;
const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const DT_NULL = 0;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_VERSYM = 0x6ffffff0;
const DT_VERNEED = 0x6ffffffe;
const SHN_UNDEF = 0;
const STT_FUNC = 2;
const VER_FLG_WEAK = 0x2;
const VERSYM_INDEX = 0x7fff;
const SYM_SIZE = 24;

/** Thrown inside the parser for anything unexpected; turned into `{ ok: false }` at the boundary. */
class Refusal extends Error {}

/** Bounds-checked little-endian reads over the file. */
class Reader {
  constructor(readonly view: DataView) {}
  private need(at: number, size: number): void {
    if (!Number.isSafeInteger(at) || at < 0 || at + size > this.view.byteLength) throw new Refusal(`truncated: ${size} bytes at offset ${at} are past the end of the file`);
  }
  u8(at: number): number {
    this.need(at, 1);
    return this.view.getUint8(at);
  }
  u16(at: number): number {
    this.need(at, 2);
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    this.need(at, 4);
    return this.view.getUint32(at, true);
  }
  u64(at: number): number {
    this.need(at, 8);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Refusal(`a 64-bit field at offset ${at} is out of range`);
    return Number(v);
  }
  /** The NUL-terminated string at `at`, within [start, end). */
  cstr(at: number, start: number, end: number): string {
    if (at < start || at >= end) throw new Refusal(`a string index points outside its string table`);
    let stop = at;
    while (stop < end && this.u8(stop) !== 0) stop++;
    if (stop === end) throw new Refusal(`a string in the string table is not terminated`);
    return new TextDecoder().decode(new Uint8Array(this.view.buffer, this.view.byteOffset + at, stop - at));
  }
}

interface Section {
  readonly index: number;
  readonly type: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

/** The one section of `type`; refuses if there are none or several. */
function only(r: Reader, sections: readonly Section[], type: number, what: string): Section {
  const found = sections.filter((s) => s.type === type);
  if (found.length !== 1) throw new Refusal(`expected one ${what} section, found ${found.length}`);
  return inFile(r, found[0]!);
}

/** `s`, once its bytes are known to lie within the file. */
function inFile(r: Reader, s: Section): Section {
  if (s.size > 0) r.u8(s.offset + s.size - 1);
  return s;
}

function readSections(r: Reader): Section[] {
  const shoff = r.u64(0x28);
  const shentsize = r.u16(0x3a);
  const shnum = r.u16(0x3c);
  if (shentsize !== 64 || shnum === 0) throw new Refusal(`unexpected section header table (entry size ${shentsize}, ${shnum} entries)`);
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({ index: i, type: r.u32(at + 4), addr: r.u64(at + 16), offset: r.u64(at + 24), size: r.u64(at + 32), link: r.u32(at + 40), info: r.u32(at + 44), entsize: r.u64(at + 56) });
  }
  return sections;
}

/**
 * The loader finds the tables through `.dynamic` and the program headers,
 * not the section headers this reads: both views must name the same bytes.
 */
function checkLoaderView(r: Reader, sections: readonly Section[], tables: ReadonlyMap<number, Section>): void {
  const phoff = r.u64(0x20);
  const phentsize = r.u16(0x36);
  const phnum = r.u16(0x38);
  if (phentsize !== 56) throw new Refusal(`unexpected program header size ${phentsize}`);
  const fileOffset = (addr: number): number | undefined => {
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (r.u32(at) !== PT_LOAD) continue;
      const offset = r.u64(at + 8);
      const vaddr = r.u64(at + 16);
      const filesz = r.u64(at + 32);
      if (addr >= vaddr && addr < vaddr + filesz) return offset + (addr - vaddr);
    }
    return undefined;
  };
  const dynamic = only(r, sections, SHT_DYNAMIC, ".dynamic");
  const seen = new Map<number, number>();
  for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
    const tag = r.u64(at);
    if (tag === DT_NULL) break;
    if (tables.has(tag)) seen.set(tag, r.u64(at + 8));
  }
  for (const [tag, section] of tables) {
    const addr = seen.get(tag);
    if (addr === undefined) throw new Refusal(`the dynamic section has no entry 0x${tag.toString(16)}`);
    if (addr !== section.addr || fileOffset(addr) !== section.offset) throw new Refusal(`the dynamic entry 0x${tag.toString(16)} and the section headers disagree`);
  }
}

interface VersionNeed {
  readonly file: string;
  readonly name: string;
  readonly index: number;
  readonly flagsOffset: number;
}

function readVersionNeeds(r: Reader, verneed: Section, dynstr: Section): VersionNeed[] {
  const needs: VersionNeed[] = [];
  const strEnd = dynstr.offset + dynstr.size;
  let at = verneed.offset;
  for (let n = 0; n < verneed.info; n++) {
    if (r.u16(at) !== 1) throw new Refusal(`unexpected .gnu.version_r entry version ${r.u16(at)}`);
    const file = r.cstr(dynstr.offset + r.u32(at + 4), dynstr.offset, strEnd);
    let aux = at + r.u32(at + 8);
    for (let k = 0; k < r.u16(at + 2); k++) {
      needs.push({ file, name: r.cstr(dynstr.offset + r.u32(aux + 8), dynstr.offset, strEnd), index: r.u16(aux + 6), flagsOffset: aux + 4 });
      const next = r.u32(aux + 12);
      if (next === 0) break;
      aux += next;
    }
    const next = r.u32(at + 12);
    if (next === 0) break;
    at += next;
  }
  // The flags are the one field this writes: it must be inside the section.
  for (const need of needs) if (need.flagsOffset < verneed.offset || need.flagsOffset + 2 > verneed.offset + verneed.size) throw new Refusal(`a .gnu.version_r entry lies outside its section`);
  return needs;
}

function patch(bytes: Uint8Array): GlibcCompatResult {
  const r = new Reader(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (r.u32(0) !== 0x464c457f) throw new Refusal("not an ELF file");
  if (r.u8(4) !== 2 || r.u8(5) !== 1) throw new Refusal("not a little-endian 64-bit ELF file");
  if (r.u16(0x10) !== ET_DYN) throw new Refusal("not a shared object");
  if (r.u16(0x12) !== EM_X86_64) throw new Refusal(`built for machine ${r.u16(0x12)}, not x86-64`);
  const sections = readSections(r);
  const dynsym = only(r, sections, SHT_DYNSYM, ".dynsym");
  const versym = only(r, sections, SHT_GNU_VERSYM, ".gnu.version");
  const verneed = only(r, sections, SHT_GNU_VERNEED, ".gnu.version_r");
  const dynstr = sections[dynsym.link];
  if (dynstr?.type !== SHT_STRTAB || verneed.link !== dynstr.index) throw new Refusal(".dynsym and .gnu.version_r do not share one string table");
  inFile(r, dynstr);
  if (versym.link !== dynsym.index) throw new Refusal(".gnu.version does not describe .dynsym");
  if (dynsym.entsize !== SYM_SIZE || dynsym.size % SYM_SIZE !== 0) throw new Refusal(`unexpected .dynsym entry size ${dynsym.entsize}`);
  const count = dynsym.size / SYM_SIZE;
  if (versym.size !== count * 2) throw new Refusal(".gnu.version and .dynsym differ in length");
  checkLoaderView(r, sections, new Map([[DT_STRTAB, dynstr], [DT_SYMTAB, dynsym], [DT_VERSYM, versym], [DT_VERNEED, verneed]]));

  const needs = readVersionNeeds(r, verneed, dynstr);
  const c23 = needs.filter((n) => n.name === C23_VERSION);
  if (c23.length === 0) throw new Refusal(`the binary does not need ${C23_VERSION}: nothing to patch`);
  if (c23.length !== 1 || c23[0]!.file !== LIBC) throw new Refusal(`${C23_VERSION} is needed from ${c23.map((n) => n.file).join(", ")}, not only from ${LIBC}`);
  const base = needs.find((n) => n.file === LIBC && n.name === BASE_VERSION);
  if (!base) throw new Refusal(`the binary does not already need ${LIBC} ${BASE_VERSION}`);
  const target = c23[0]!;

  const out = new Uint8Array(bytes); // a copy: a Buffer's slice() would be a view of the input
  const w = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const edits: GlibcCompatEdit[] = [];
  const strEnd = dynstr.offset + dynstr.size;
  for (let i = 0; i < count; i++) {
    const versionOffset = versym.offset + i * 2;
    if ((r.u16(versionOffset) & VERSYM_INDEX) !== target.index) continue;
    const sym = dynsym.offset + i * SYM_SIZE;
    const nameOffset = sym;
    const name = r.cstr(dynstr.offset + r.u32(sym), dynstr.offset, strEnd);
    const becomes = C23_SYMBOLS.get(name);
    if (becomes === undefined) throw new Refusal(`\`${name}\` also needs ${C23_VERSION}; only ${[...C23_SYMBOLS.keys()].join(", ")} are known to have ${BASE_VERSION} equivalents`);
    if ((r.u8(sym + 4) & 0xf) !== STT_FUNC || r.u16(sym + 6) !== SHN_UNDEF) throw new Refusal(`\`${name}\` is not an undefined function reference`);
    const newName = r.u32(sym) + C23_PREFIX.length;
    if (r.cstr(dynstr.offset + newName, dynstr.offset, strEnd) !== becomes) throw new Refusal(`\`${name}\` does not end in \`${becomes}\``);
    w.setUint32(nameOffset, newName, true);
    w.setUint16(versionOffset, base.index, true); // a reference: the hidden bit stays clear
    edits.push({ symbol: name, becomes, nameOffset, versionOffset });
  }
  if (edits.length === 0) throw new Refusal(`no symbol uses the ${C23_VERSION} need`);
  w.setUint16(target.flagsOffset, r.u16(target.flagsOffset) | VER_FLG_WEAK, true);
  return { ok: true, bytes: out, edits, weakenedOffset: target.flagsOffset };
}

/**
 * A copy of `bytes` (an ELF64 x86-64 shared object) whose C23 references
 * bind to glibc 2.2.5's classic functions and which no longer requires
 * GLIBC_2.38; or why it cannot be patched safely. `bytes` is not modified.
 */
export function patchC23Glibc(bytes: Uint8Array): GlibcCompatResult {
  try {
    return patch(bytes);
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.message };
    throw e;
  }
}
