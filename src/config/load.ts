// Loads and validates the YAML config file. Every problem is one line naming the file, the line and
// the key, because a CI gate that fails on its own config must say exactly what to change.
import { readFile } from 'node:fs/promises';
import type { Waiver } from '../engine/waivers.ts';
import schema from './config.schema.json' with { type: 'json' };

export interface DoctorConfig {
  path: string;
  only?: string[];
  skip?: string[];
  failOn?: 'warn' | 'fail';
  timeout?: number;
  egress?: {
    targets?: string[];
    derivedTargets?: boolean;
    override?: Record<string, { connect?: string; servername?: string }>;
    ca?: string[];
    dnsServers?: string[];
    stageTimeout?: number;
  };
  logs?: { azureWorkspace?: string; azureEndpoint?: string; awsLogGroup?: string; awsRegion?: string; since?: string };
  waivers: Waiver[];
}

export class ConfigError extends Error {}

export async function loadConfig(path: string): Promise<DoctorConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${path}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? 'unknown error')})`,
    );
  }
  return parseConfig(text, path);
}

export async function parseConfig(text: string, path: string): Promise<DoctorConfig> {
  // Bundled CommonJS modules arrive under `default` when split into lazy chunks; sources get named exports.
  const [yamlMod, ajvMod] = await Promise.all([import('yaml'), import('ajv')]);
  const { parseDocument, LineCounter, isNode } =
    'LineCounter' in yamlMod ? yamlMod : (yamlMod as unknown as { default: typeof yamlMod }).default;
  const { Ajv } = 'Ajv' in ajvMod ? ajvMod : (ajvMod as unknown as { default: typeof ajvMod }).default;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lc.linePos(offset).line);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${path}:${lineOf(e.pos[0]) ?? '?'}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS() ?? {};
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (!validate(data)) {
    // A misspelt key also makes a required key "missing": name the misspelling, the root cause.
    const rank = (k: string) => (k === 'additionalProperties' ? 0 : k === 'required' ? 2 : 1);
    const err = [...validate.errors!].sort((a, b) => rank(a.keyword) - rank(b.keyword))[0]!;
    const segments: (string | number)[] = err.instancePath
      .split('/')
      .slice(1)
      .map((s: string) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    let key =
      segments
        .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
        .join('')
        .replace(/^\./, '') || '(top level)';
    let node = doc.getIn(segments, true);
    let what = err.message ?? 'is invalid';
    if (err.keyword === 'additionalProperties') {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      key = key === '(top level)' ? extra : `${key}.${extra}`;
      node = doc.getIn([...segments, extra], true);
      // The key itself, not its value, is what is wrong: point at the pair's key.
      const parent = doc.getIn(segments, true) as
        | { items?: { key: { value?: unknown; range?: [number, number, number] } }[] }
        | undefined;
      const pair = parent?.items?.find((p) => p.key?.value === extra);
      if (pair?.key?.range) node = pair.key as never;
      what = `unknown key (allowed: ${Object.keys(subschema(segments)?.properties ?? {}).join(', ')})`;
    } else if (err.keyword === 'enum') {
      what = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    } else if (err.keyword === 'required') {
      what = `missing required key "${(err.params as { missingProperty: string }).missingProperty}"`;
    }
    const line = isNode(node)
      ? lineOf(node.range?.[0])
      : (node as { range?: number[] } | undefined)?.range
        ? lineOf((node as { range: number[] }).range[0])
        : undefined;
    throw new ConfigError(`${path}:${line ?? 1}: ${key}: ${what}`);
  }
  const cfg = data as Omit<DoctorConfig, 'path' | 'waivers'> & { waivers?: Waiver[] };
  const waivers = (cfg.waivers ?? []).map((w, i) => {
    const node = doc.getIn(['waivers', i], true);
    const line = isNode(node) ? lineOf(node.range?.[0]) : undefined;
    if (w.expires && Number.isNaN(Date.parse(`${w.expires}T00:00:00Z`)))
      throw new ConfigError(`${path}:${line ?? 1}: waivers[${i}].expires: "${w.expires}" is not a real date`);
    return { ...w, line };
  });
  return { ...cfg, path, waivers };
}

type Schema = { properties?: Record<string, Schema>; items?: Schema };
function subschema(segments: (string | number)[]): Schema | undefined {
  let s: Schema | undefined = schema as Schema;
  for (const seg of segments) s = typeof seg === 'number' ? s?.items : s?.properties?.[seg];
  return s;
}
