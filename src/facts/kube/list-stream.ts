// A Kubernetes List read as it arrives: each element of its top-level `items` array is cut out of the
// byte stream and parsed on its own, so a 100 MB pod list never exists as one string or one object
// tree — only one item at a time does, until the collector's reducer has kept the few fields it needs.
// Everything else of the List (kind, metadata with the continue token) is kept as a small "skeleton"
// document with `"items":[]`, parsed at the end.
//
// The scanner only needs JSON's structure: the characters that matter ({ } [ ] : , ") are ASCII, and no
// byte of a multi-byte UTF-8 sequence is below 0x80, so it works on raw bytes across any chunk
// boundary; strings are skipped with indexOf, honouring backslash escapes.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COLON = 0x3a;

export class ListStreamParser {
  readonly #onItem: (text: string) => void;
  readonly #maxItemBytes: number;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Inside the top-level `items` array. */
  #inItems = false;
  /** The bytes of the item being read (pieces from earlier chunks), or undefined between items. */
  #item?: Buffer[];
  #itemBytes = 0;
  #skeleton: Buffer[] = [];
  /** The last string at depth 1 (a key, or a string value), and whether it is being read. */
  #key: Buffer[] = [];
  #keyOpen = false;
  #lastKey = '';
  #afterColonKey = '';
  /** Items handed over. */
  count = 0;

  constructor(onItem: (text: string) => void, opts: { maxItemBytes?: number } = {}) {
    this.#onItem = onItem;
    this.#maxItemBytes = opts.maxItemBytes ?? 16 * 1024 * 1024;
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    // Where the current skeleton and item segments of this chunk start (-1: not collecting).
    let skelFrom = this.#inItems ? -1 : 0;
    let itemFrom = this.#item ? 0 : -1;
    let keyFrom = this.#keyOpen ? 0 : -1;
    let nextQuote = -2;
    let nextSlash = -2;
    let i = 0;
    while (i < n) {
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
          i++;
          continue;
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
        if (nextSlash !== -1 && nextSlash < i) nextSlash = chunk.indexOf(BACKSLASH, i);
        if (nextSlash !== -1 && (nextQuote === -1 || nextSlash < nextQuote)) {
          // A backslash escapes the next byte (for \uXXXX the rest are plain hex digits).
          i = nextSlash + 1;
          this.#escaped = true;
          continue;
        }
        if (nextQuote === -1) {
          i = n;
          continue;
        }
        this.#inString = false;
        i = nextQuote + 1;
        if (this.#keyOpen) {
          this.#key.push(chunk.subarray(keyFrom, nextQuote));
          this.#keyOpen = false;
          keyFrom = -1;
          this.#lastKey = Buffer.concat(this.#key).toString('utf8');
          this.#key = [];
        }
        continue;
      }
      const c = chunk[i]!;
      if (c === QUOTE) {
        this.#inString = true;
        if (this.#depth === 1) {
          this.#keyOpen = true;
          keyFrom = i + 1;
        }
      } else if (c === COLON) {
        if (this.#depth === 1) this.#afterColonKey = this.#lastKey;
      } else if (c === OPEN_OBJ || c === OPEN_ARR) {
        this.#depth++;
        if (this.#depth === 2 && c === OPEN_ARR && this.#afterColonKey === 'items') {
          // Keep `[` in the skeleton, drop everything up to the matching `]`.
          this.#inItems = true;
          this.#skeleton.push(chunk.subarray(skelFrom, i + 1));
          skelFrom = -1;
        } else if (this.#inItems && this.#depth === 3) {
          this.#item = [];
          this.#itemBytes = 0;
          itemFrom = i;
        }
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        this.#depth--;
        if (this.#inItems && this.#depth === 2 && this.#item) {
          const piece = chunk.subarray(itemFrom, i + 1);
          this.#item.push(piece);
          const text = Buffer.concat(this.#item).toString('utf8');
          this.#item = undefined;
          itemFrom = -1;
          this.count++;
          this.#onItem(text);
        } else if (this.#inItems && this.#depth === 1) {
          this.#inItems = false;
          skelFrom = i;
        }
        if (this.#depth === 1) this.#afterColonKey = '';
      }
      i++;
    }
    if (skelFrom >= 0) this.#skeleton.push(chunk.subarray(skelFrom));
    if (this.#keyOpen && keyFrom >= 0) this.#key.push(chunk.subarray(keyFrom));
    if (this.#item && itemFrom >= 0) {
      const piece = chunk.subarray(itemFrom);
      this.#itemBytes += piece.length;
      if (this.#itemBytes > this.#maxItemBytes) throw new Error(`a list item larger than ${this.#maxItemBytes} bytes`);
      this.#item.push(piece);
    }
  }

  /** The List without its items (`"items":[]`), as JSON text; throws if the stream ended mid-document. */
  end(): string {
    if (this.#depth !== 0 || this.#inString || this.#item) throw new Error('the list ended before its last item');
    return Buffer.concat(this.#skeleton).toString('utf8');
  }
}
