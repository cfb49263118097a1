// --output FORMAT=PATH: parsed before the run (a bad spec is a usage error, not a lost report) and
// written atomically after it (temp file + rename, so a CI job never reads half a report; devices and
// FIFOs such as /dev/null are written in place).
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Report } from '../engine/report.ts';
import type { Redactor } from '../redact/redact.ts';
import { UsageError } from './errors.ts';

export const FORMATS = ['junit', 'json', 'text', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];
export interface OutputSpec {
  format: Format;
  path: string;
}

export function parseOutputs(specs: readonly string[]): OutputSpec[] {
  const out: OutputSpec[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const format = spec.slice(0, eq) as Format;
    const path = spec.slice(eq + 1);
    if (eq < 0 || !FORMATS.includes(format) || !path)
      throw new UsageError(
        `--output "${spec}" is not FORMAT=PATH with FORMAT one of ${FORMATS.join(', ')} (PATH - is stdout)`,
      );
    out.push({ format, path });
  }
  if (out.filter((o) => o.path === '-').length > 1) throw new UsageError('only one --output can go to stdout (-)');
  return out;
}

async function render(format: Format, report: Report): Promise<string> {
  if (format === 'junit') return (await import('../../reporters/junit.ts')).renderJunit(report);
  if (format === 'json') return (await import('../../reporters/json.ts')).renderJson(report);
  if (format === 'markdown') return (await import('../../reporters/markdown.ts')).renderMarkdown(report);
  return (await import('../../reporters/plain.ts')).renderPlain(report);
}

/**
 * A regular file (or a new one) is replaced atomically; anything else — /dev/null, /dev/stdout, a FIFO,
 * a terminal — is written in place: renaming over it would replace the device node itself.
 */
export async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  const abs = resolve(path);
  const existing = await stat(abs).catch(() => undefined);
  if (existing && !existing.isFile()) {
    if (existing.isDirectory()) throw new Error(`${abs} is a directory`);
    await writeFile(abs, content);
    return;
  }
  await mkdir(dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, abs);
}

/** Writes every output; returns how many could not be written (each reported on stderr in one line). */
export async function writeOutputs(
  outputs: readonly OutputSpec[],
  report: Report,
  scrubber: Redactor,
): Promise<number> {
  let failed = 0;
  for (const o of outputs) {
    const text = scrubber.scrub(await render(o.format, report));
    if (o.path === '-') {
      process.stdout.write(text);
      continue;
    }
    try {
      await writeAtomic(o.path, text);
    } catch (e) {
      process.stderr.write(
        `runner-doctor: cannot write the ${o.format} report to ${o.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
      );
      failed++;
    }
  }
  return failed;
}
