// A snapshot is every fact a run collected, saved as one versioned JSON document (gzip when the path
// ends in .gz) and judged again later with no cluster: `check --save-snapshot` / `--from-snapshot`.
// It is a support bundle people send to someone else, so it holds no secret value: Secret data is never
// stored (only key names), secret-like env values and URL credentials are masked where facts are
// collected, and the whole document passes the run's redactor once more before it is written.
import { readFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FactError, type FactMap, type FactName, type SerializedFactError } from '../engine/facts.ts';
import type { FactStore } from '../engine/run.ts';
import type { Target } from '../engine/types.ts';
import type { Redactor } from '../redact/redact.ts';
import { COLLECTORS } from './registry.ts';
import type { LiveFactStore, RecordedFact } from './store.ts';

export const SNAPSHOT_KIND = 'runner-doctor-snapshot';
export const SNAPSHOT_VERSION = 1;

export interface Snapshot {
  kind: typeof SNAPSHOT_KIND;
  schemaVersion: typeof SNAPSHOT_VERSION;
  tool: { name: 'runner-doctor'; version: string };
  createdAt: string;
  mode: 'local' | 'cluster';
  description: string;
  namespace?: string;
  context?: string;
  /** The targets the run examined, in order. */
  targets: Target[];
  /** Facts by scope: `run` for run-scoped facts, else the target's name. */
  facts: Record<string, Partial<Record<FactName, RecordedFact>>>;
  /** Set when the run could not examine the target at all. */
  fatal?: { message: string; remediation: string };
}

function scrubDeep(v: unknown, redactor: Redactor): unknown {
  if (typeof v === 'string') return redactor.scrub(v);
  if (Array.isArray(v)) return v.map((x) => scrubDeep(x, redactor));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubDeep(x, redactor)]));
  return v;
}

export function buildSnapshot(
  store: LiveFactStore,
  meta: Omit<Snapshot, 'kind' | 'schemaVersion' | 'facts' | 'createdAt'>,
  redactor: Redactor,
): Snapshot {
  const facts: Snapshot['facts'] = {};
  for (const [scope, m] of store.recorded)
    facts[scope] = Object.fromEntries([...m].map(([k, r]) => [k, scrubDeep(r, redactor)]));
  return {
    kind: SNAPSHOT_KIND,
    schemaVersion: SNAPSHOT_VERSION,
    createdAt: new Date(store.run.now).toISOString(),
    ...meta,
    facts,
  };
}

export function serializeSnapshot(s: Snapshot, path: string): Buffer {
  const text = `${JSON.stringify(s)}\n`;
  return path.endsWith('.gz') ? gzipSync(text) : Buffer.from(text, 'utf8');
}

/** Reads a snapshot; a file that is not one is an Error with one line saying why. */
export async function loadSnapshot(path: string): Promise<Snapshot> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new Error(
      `cannot read the snapshot ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  let data: unknown;
  try {
    const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    data = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not a runner-doctor snapshot (not JSON or gzipped JSON)`);
  }
  const s = data as Partial<Snapshot>;
  if (s?.kind !== SNAPSHOT_KIND)
    throw new Error(`${path} is not a runner-doctor snapshot (kind is ${JSON.stringify(s?.kind)})`);
  if (s.schemaVersion !== SNAPSHOT_VERSION)
    throw new Error(
      `${path} is a snapshot of schema version ${s.schemaVersion}; this runner-doctor reads version ${SNAPSHOT_VERSION}`,
    );
  if (!Array.isArray(s.targets) || typeof s.facts !== 'object' || s.facts === null)
    throw new Error(`${path} is a damaged snapshot (no targets or facts)`);
  return s as Snapshot;
}

/** Facts from a snapshot: values as they were, errors as they were, and "not in the snapshot" for the rest. */
export class SnapshotFactStore implements FactStore {
  readonly #s: Snapshot;
  constructor(s: Snapshot) {
    this.#s = s;
  }

  async get<F extends FactName>(target: Target, name: F): Promise<FactMap[F]> {
    const scope = COLLECTORS.get(name)?.scope === 'run' ? 'run' : target.name;
    const r = this.#s.facts[scope]?.[name];
    if (!r)
      throw new FactError(
        'unavailable',
        `the snapshot holds no ${name} fact${scope === 'run' ? '' : ` for ${target.name}`} (that run did not collect it)`,
        'take a new snapshot that selects this check',
      );
    if ('error' in r) throw FactError.from(r.error as SerializedFactError);
    return r.value as FactMap[F];
  }
}
