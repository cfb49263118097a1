// A small, strict parser for the Prometheus text exposition format (0.0.4, and the OpenMetrics subset a
// Spring Boot actuator emits): `# HELP`/`# TYPE` lines, samples `name{label="value",...} value [ts]`,
// label values with \\ \" \n escapes, NaN/+Inf/-Inf, `# EOF`. The text is untrusted (it comes from a pod):
// a bad line is recorded with its number and skipped, never thrown, and nothing is evaluated.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` per metric family. */
  types: Map<string, string>;
  /** "line N: why" for every line that could not be read (at most 20 kept). */
  errors: string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(s: string): number | undefined {
  if (s === 'NaN') return Number.NaN;
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** Parses one sample line; returns why not when it is malformed. */
function parseSample(line: string): Sample | string {
  const m = NAME.exec(line);
  if (!m) return 'no metric name';
  const name = m[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const lm = LABEL.exec(line.slice(i));
      if (!lm) return 'bad label name';
      i += lm[0].length;
      if (line[i] !== '=' || line[i + 1] !== '"') return `label ${lm[0]} has no quoted value`;
      i += 2;
      let v = '';
      for (;;) {
        const ch = line[i];
        if (ch === undefined) return 'unterminated label value';
        if (ch === '\\') {
          const nx = line[i + 1];
          v += nx === 'n' ? '\n' : nx === '\\' ? '\\' : nx === '"' ? '"' : `\\${nx ?? ''}`;
          i += 2;
          continue;
        }
        if (ch === '"') {
          i++;
          break;
        }
        v += ch;
        i++;
      }
      labels[lm[0]] = v;
      while (line[i] === ' ') i++;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return 'expected , or } after a label';
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') return 'expected a value (and an optional timestamp)';
  const value = parseValue(rest[0]!);
  if (value === undefined) return `bad value ${JSON.stringify(rest[0]!.slice(0, 40))}`;
  return { name, labels, value };
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), errors: [] };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      if (line.trim() === '# EOF') break;
      const t = /^# TYPE (\S+) (\S+)/.exec(line);
      if (t) out.types.set(t[1]!, t[2]!);
      continue;
    }
    const s = parseSample(line);
    if (typeof s === 'string') {
      if (out.errors.length < 20) out.errors.push(`line ${n + 1}: ${s}`);
    } else out.samples.push(s);
  }
  return out;
}

/** The samples of one metric (exact name, or name + `_total` for counters exposed either way). */
export function samplesOf(samples: readonly Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name || s.name === `${name}_total`);
}
