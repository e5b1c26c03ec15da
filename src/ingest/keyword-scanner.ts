/**
 * The combined keyword prefilter: one pass over a file's bytes finding every occurrence of any
 * keyword, case-insensitively (ASCII letters). A regex alternation of ~100 literals runs at
 * ~60 MB/s in V8 (irregexp tries each alternative at each position), and so does anything that
 * touches every byte more than once; a JS loop is bound by the number of typed-array loads.
 *
 * So the loop reads byte pairs at even offsets only, two at a time as 32-bit elements of a view
 * over the buffer's memory, and looks each raw pair up in 64 Ki tables with case folding baked in.
 * When every keyword has at least three bytes, an occurrence covers one of any two adjacent pairs
 * of the keyword at an even offset: the tables hold, per keyword, the two adjacent pairs that,
 * with the byte after each, are least common in source code (choosePairs). A mask per pair tells
 * which bytes (by their low five bits) may follow it, so that one branch-free test per word rejects
 * nearly everything; a pair that passes is checked against the exact byte after it (a second small
 * table), and only then are the few candidate keywords compared in place. Shorter keywords (the
 * catalog allows two bytes) switch to every offset and to each keyword's first pair; big-endian
 * machines take that byte-at-a-time loop too.
 *
 * On the bench tree ~0.5% of pairs reach a comparison (2% before the pairs were chosen by trigram
 * frequency); the one-bigram-per-offset loop ran at ~140 MB/s, the one-pair-per-load loop at ~330
 * MB/s without the mask, this one at ~600-700 MB/s on an idle core.
 */

import {COMMON_TRIGRAMS} from './common-trigrams.js'

/** A Uint16Array element holds two bytes in memory order; the pair table is keyed the same way. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function pairKey(first: number, second: number): number {
  return LITTLE_ENDIAN ? (second << 8) | first : (first << 8) | second
}

const LOWER = new Uint8Array(256)
for (let i = 0; i < 256; i++) LOWER[i] = i >= 65 && i <= 90 ? i + 32 : i

export interface KeywordHit {
  /** byte offset (equal to the latin1 string offset) */
  offset: number
  /** the keyword as registered (lowercase) */
  keyword: string
}

interface Candidate {
  /** the keyword's lowercase bytes */
  bytes: Uint8Array
  /** where the table pair sits in the keyword */
  at: number
  /** registration order, which orders hits at the same offset */
  index: number
  keyword: string
}

export class KeywordScanner {
  /** raw byte pair (pairKey) -> bucket index + 1 (0: no candidate); bytes while that fits, to stay cache-resident */
  private readonly table: Uint8Array | Uint16Array
  private readonly buckets: Candidate[][] = []
  /**
   * (slot << 8 | raw byte after the pair) -> 1 when some candidate of the bucket allows that byte
   * there: the cheap second check that rejects most table hits before any candidate is compared
   */
  private readonly follow: Uint8Array
  /**
   * raw byte pair -> bit (z & 31) set for each byte z that may follow it (all bits when a keyword
   * ends with the pair; 0 without a bucket): table and follow folded into one branch-free test
   */
  private readonly mask = new Int32Array(65536)
  /** keyword -> registration index */
  private readonly order = new Map<string, number>()
  /** 2 when every keyword has at least three bytes, else 1 */
  private readonly stride: number
  /**
   * a 32-bit view of the last buffer's memory (callers reuse one read buffer), for one load per two
   * pairs; signed, so that a word passed around stays a small integer, never a boxed number
   */
  private words: Int32Array | undefined

  /** Keywords must be at least two bytes long (the catalog schema guarantees it); shorter ones are ignored. */
  constructor(keywords: Iterable<string>) {
    const list: {bytes: Uint8Array; keyword: string}[] = []
    for (const raw of new Set(keywords)) {
      const keyword = raw.toLowerCase()
      const bytes = new Uint8Array(Buffer.from(keyword, 'latin1'))
      if (bytes.length < 2 || this.order.has(keyword)) continue
      this.order.set(keyword, list.length)
      list.push({bytes, keyword})
    }
    this.stride = list.every((k) => k.bytes.length >= 3) ? 2 : 1
    const byPair = new Map<number, Candidate[]>()
    const firsts = this.stride === 2 ? choosePairs(list.map((k) => k.bytes)) : undefined
    list.forEach(({bytes, keyword}, index) => {
      const first = firsts ? firsts[index] : 0
      for (let at = first; at < first + this.stride; at++) {
        const pair = (bytes[at] << 8) | bytes[at + 1]
        let bucket = byPair.get(pair)
        if (!bucket) byPair.set(pair, (bucket = []))
        bucket.push({bytes, at, index, keyword})
      }
    })
    this.table = byPair.size < 256 ? new Uint8Array(65536) : new Uint16Array(65536)
    this.follow = new Uint8Array((byPair.size + 1) << 8)
    for (const [pair, bucket] of byPair) {
      bucket.sort((a, b) => b.at - a.at || a.index - b.index)
      this.buckets.push(bucket)
      const slot = this.buckets.length
      for (const x of caseVariants(pair >> 8)) for (const y of caseVariants(pair & 0xff)) this.table[pairKey(x, y)] = slot
      for (const {bytes, at} of bucket) {
        if (at + 2 < bytes.length) for (const z of caseVariants(bytes[at + 2])) this.follow[(slot << 8) | z] = 1
        else this.follow.fill(1, slot << 8, (slot + 1) << 8) // the keyword ends with the pair
      }
      let bits = 0
      for (const {bytes, at} of bucket) bits |= at + 2 < bytes.length ? 1 << (bytes[at + 2] & 31) : -1 // case variants share the low 5 bits
      for (const x of caseVariants(pair >> 8)) for (const y of caseVariants(pair & 0xff)) this.mask[pairKey(x, y)] = bits
    }
  }

  get empty(): boolean {
    return this.buckets.length === 0
  }

  /** Every (offset, keyword) occurrence in the first `length` bytes, in offset order (then registration order). */
  scan(buffer: Uint8Array, length = buffer.length): KeywordHit[] {
    const hits: KeywordHit[] = []
    if (this.buckets.length === 0 || length < 2) return hits
    const {table, follow} = this
    let p = 0
    if (this.stride === 2 && LITTLE_ENDIAN && (buffer.byteOffset & 1) === 0) {
      // Line up on 4 bytes with one pair, then two pairs per 32-bit load.
      if ((buffer.byteOffset & 3) === 2) {
        const slot = table[pairKey(buffer[0], buffer[1])]
        if (slot !== 0 && (length <= 2 || follow[(slot << 8) | buffer[2]] !== 0)) this.verify(hits, buffer, length, 0, slot)
        p = 2
      }
      const memory = buffer.buffer as ArrayBuffer
      if (this.words?.buffer !== memory) this.words = new Int32Array(memory, 0, memory.byteLength >> 2)
      const {words, mask} = this
      const base = (buffer.byteOffset + p) >> 2
      const count = (length - p) >> 2
      // A pair of the table turns up in over 1 word in 3 (pairs are chosen with their next byte),
      // followed by a byte that fits in 1-2 in 100: testing both through the mask before
      // branching saves the mispredicted branches.
      let word = count > 0 ? words[base] : 0
      for (let q = 0; q + 1 < count; q++) {
        const next = words[base + q + 1]
        const low = word & 0xffff
        const high = word >>> 16
        if (((mask[low] & (1 << (high & 31))) | (mask[high] & (1 << (next & 31)))) !== 0) this.checkWord(hits, buffer, length, p + (q << 2), word)
        word = next
      }
      // The last word's second pair may end the text: no follower to test.
      if (count > 0) this.checkWord(hits, buffer, length, p + ((count - 1) << 2), word)
      p += count << 2
      // What is left (0-3 bytes) goes through the loop below.
    }
    const stride = this.stride
    for (; p + 1 < length; p += stride) {
      const slot = table[pairKey(buffer[p], buffer[p + 1])]
      if (slot === 0 || (p + 2 < length && follow[(slot << 8) | buffer[p + 2]] === 0)) continue
      this.verify(hits, buffer, length, p, slot)
    }
    return this.inOrder(hits)
  }

  /** The exact tests of a 32-bit word's two pairs, at `at` and `at + 2`. */
  private checkWord(hits: KeywordHit[], buffer: Uint8Array, length: number, at: number, word: number): void {
    const {table, follow} = this
    const first = table[word & 0xffff]
    const second = table[word >>> 16]
    if (first !== 0 && follow[(first << 8) | buffer[at + 2]] !== 0) this.verify(hits, buffer, length, at, first)
    if (second !== 0 && (at + 4 >= length || follow[(second << 8) | buffer[at + 4]] !== 0)) this.verify(hits, buffer, length, at + 2, second)
  }

  /**
   * Keywords are found through pairs at varying positions, so hits come out nearly but not exactly
   * in offset order; callers expect offset order, then registration order.
   */
  private inOrder(hits: KeywordHit[]): KeywordHit[] {
    let sorted = true
    for (let i = 1; i < hits.length && sorted; i++) sorted = hits[i - 1].offset < hits[i].offset
    if (!sorted) hits.sort((a, b) => a.offset - b.offset || this.order.get(a.keyword)! - this.order.get(b.keyword)!)
    return hits
  }

  /** Compares the candidates of a table hit at offset p in place. */
  private verify(hits: KeywordHit[], buffer: Uint8Array, length: number, p: number, slot: number): void {
    const bucket = this.buckets[slot - 1]
    for (let c = 0; c < bucket.length; c++) {
      const {bytes, at} = bucket[c]
      const start = p - at
      const n = bytes.length
      if (start < 0 || start + n > length) continue
      let k = 0
      while (k < n && LOWER[buffer[start + k]] === bytes[k]) k++
      if (k === n) hits.push({offset: start, keyword: bucket[c].keyword})
    }
  }
}

interface TextModel {
  /** folded trigram (a << 16 | b << 8 | c) -> estimated frequency */
  trigrams: Map<number, number>
  /** folded pair -> the sum over its listed trigrams */
  pairs: Map<number, number>
  /** the estimate for anything unlisted */
  floor: number
}

let textModel: TextModel | undefined

/** Frequencies estimated from COMMON_TRIGRAMS' ranks (Zipf: ~1 / rank); built once per thread. */
function model(): TextModel {
  if (textModel) return textModel
  const trigrams = new Map<number, number>()
  const pairs = new Map<number, number>()
  const count = Math.floor(COMMON_TRIGRAMS.length / 3)
  for (let i = 0; i < count; i++) {
    const key = (COMMON_TRIGRAMS.charCodeAt(3 * i) << 16) | (COMMON_TRIGRAMS.charCodeAt(3 * i + 1) << 8) | COMMON_TRIGRAMS.charCodeAt(3 * i + 2)
    const frequency = 1 / (i + 10)
    trigrams.set(key, frequency)
    pairs.set(key >> 8, (pairs.get(key >> 8) ?? 0) + frequency)
  }
  return (textModel = {trigrams, pairs, floor: 1 / (count + 10) / 2})
}

/** The byte after an indexed pair when the keyword ends with the pair: any byte may follow. */
const ANY = 256

/**
 * Where each keyword's two indexed pairs start (0 .. length - 3). An indexed pair costs a
 * verification wherever text holds it followed by a byte that follows it in some keyword (the mask
 * test rejects the rest), and each verification compares every keyword of the pair's bucket. So a
 * (pair, next byte) item costs how common its trigram is in source code (the pair's whole
 * frequency when the keyword ends with it), nothing if another keyword indexes it already, plus
 * one comparison per verification of the bucket it joins. Keywords take their cheapest position
 * given those chosen before, then once more given all the others (keywords sharing a prefix, like
 * create* and chat*, settle on the same items; more rounds change nothing on the catalog). The
 * old choice, by letter frequencies alone, indexed openaiembeddings by "mbe": every `: number` in
 * TypeScript.
 */
function choosePairs(keywords: Uint8Array[]): number[] {
  const {trigrams, pairs, floor} = model()
  // Per keyword and position a: the two items (pair, follow) and their frequencies, flat.
  const items = keywords.map((bytes) => {
    const flat: number[] = []
    for (let a = 0; a + 2 < bytes.length; a++) {
      const second = (bytes[a + 1] << 8) | bytes[a + 2]
      const follow = a + 3 < bytes.length ? bytes[a + 3] : ANY
      flat.push(
        (bytes[a] << 8) | bytes[a + 1], bytes[a + 2], trigrams.get((bytes[a] << 16) | second) ?? floor,
        second, follow, follow === ANY ? Math.max(pairs.get(second) ?? 0, floor) : (trigrams.get((second << 8) | follow) ?? floor),
      )
    }
    return flat
  })
  // pair -> follow -> how many chosen items; pair -> summed frequency of its distinct follows
  const used = new Map<number, Map<number, number>>()
  const bucketFrequency = new Map<number, number>()
  const count = (flat: number[], a: number, delta: number): void => {
    for (let k = 6 * a; k < 6 * a + 6; k += 3) {
      const pair = flat[k]
      let follows = used.get(pair)
      if (!follows) used.set(pair, (follows = new Map()))
      const before = follows.get(flat[k + 1]) ?? 0
      if (before + delta === 0) follows.delete(flat[k + 1])
      else follows.set(flat[k + 1], before + delta)
      if (before === 0 || before + delta === 0) bucketFrequency.set(pair, (bucketFrequency.get(pair) ?? 0) + delta * flat[k + 2])
    }
  }
  const cheapest = (flat: number[]): number => {
    let best = 0
    let bestCost = Infinity
    for (let a = 0; 6 * a < flat.length; a++) {
      let cost = 0
      for (let k = 6 * a; k < 6 * a + 6; k += 3) {
        const follows = used.get(flat[k])
        const covered = follows !== undefined && (follows.has(ANY) || follows.has(flat[k + 1]))
        cost += (covered ? 0 : 2 * flat[k + 2]) + (bucketFrequency.get(flat[k]) ?? 0)
      }
      if (cost < bestCost) {
        best = a
        bestCost = cost
      }
    }
    return best
  }
  const choice = items.map((flat) => {
    const a = cheapest(flat)
    count(flat, a, 1)
    return a
  })
  items.forEach((flat, i) => {
    count(flat, choice[i], -1)
    choice[i] = cheapest(flat)
    count(flat, choice[i], 1)
  })
  return choice
}

/** The raw bytes that fold to a lowercase keyword byte. */
function caseVariants(byte: number): number[] {
  return byte >= 97 && byte <= 122 ? [byte, byte - 32] : [byte]
}
