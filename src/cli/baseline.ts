// --baseline PREVIOUS.json: the earlier report, read once before the run; a file that cannot be read or
// is not a runner-doctor JSON report is a usage error in one line (exit 2), not a lost comparison.
import { readFile } from 'node:fs/promises';
import { type BaselineReport, parseBaseline } from '../engine/baseline.ts';
import { UsageError } from './errors.ts';

export async function loadBaseline(path: string): Promise<BaselineReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `--baseline ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    return parseBaseline(text, path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
