import { readFileSync } from 'node:fs';

declare const __RD_VERSION__: string | undefined;

export function toolVersion(): string {
  if (typeof __RD_VERSION__ === 'string') return __RD_VERSION__;
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}
