import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** Jenkins' junit-10.xsd, which CI has beside the checkout in shared/. */
export const XSD = [
  join(process.cwd(), '../shared/junit-10.xsd'),
  join(process.cwd(), '../../shared/junit-10.xsd'),
].find(existsSync);

export const hasXmllint = (() => {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
