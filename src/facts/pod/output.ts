// What the local and in-pod probe paths share: capping untrusted output, and turning it into facts
// (or a FactError that says where and why the output was unusable).
import { FactError } from '../../engine/facts.ts';
import { parseRaw, ProbeParseError, type ProbeFacts, toFacts } from './parse.ts';

/** Keeps at most `max` bytes of a stream and remembers whether more came. */
export class CappedBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  push(chunk: Buffer): void {
    if (this.#size + chunk.length > this.max) this.truncated = true;
    if (this.#size < this.max) this.#chunks.push(chunk.subarray(0, this.max - this.#size));
    this.#size += chunk.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** Parses probe output; an unusable output becomes a `probe` FactError naming where, why (stderr, timeout) and what to do. */
export function probeFactsFrom(
  output: string,
  nonce: string,
  o: { truncated: boolean; where: string; why?: string; remediation: string },
): ProbeFacts {
  try {
    return toFacts(parseRaw(output, nonce, { truncated: o.truncated }));
  } catch (e) {
    if (e instanceof ProbeParseError)
      throw new FactError('probe', `${e.message}${o.where}${o.why ?? ''}`, o.remediation);
    throw e;
  }
}
