// The YAML config: schema errors name the file, the line and the key.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.ts';

const err = async (text: string) => {
  try {
    await parseConfig(text, 'doctor.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('config file', () => {
  it('loads selection, threshold and waivers with their lines', async () => {
    const c = await parseConfig(
      'failOn: warn\nskip: [filesystem.shm.size]\nwaivers:\n  - check: security.non-root\n    reason: vendor image runs as root\n    expires: 2027-01-31\n',
      'doctor.yaml',
    );
    expect(c).toMatchObject({
      failOn: 'warn',
      skip: ['filesystem.shm.size'],
      waivers: [{ check: 'security.non-root', expires: '2027-01-31', line: 4 }],
    });
  });
  it('names an unknown key and its line', async () => {
    expect(await err('failOn: fail\nwaivers:\n  - check: a\n    reason: because\n    expiry: 2027-01-01\n')).toBe(
      'doctor.yaml:5: waivers[0].expiry: unknown key (allowed: check, reason, expires, target)',
    );
  });
  it('names a bad value and its line', async () => {
    expect(await err('only: [runtime]\nfailOn: error\n')).toBe('doctor.yaml:2: failOn: must be one of warn, fail');
  });
  it('names a missing required key', async () => {
    expect(await err('waivers:\n  - check: a\n')).toMatch(
      /^doctor\.yaml:2: waivers\[0\]: missing required key "reason"$/,
    );
  });
  it('reports YAML syntax errors with a line', async () => {
    expect(await err('only: [runtime\nskip: x\n')).toMatch(/^doctor\.yaml:\d+: not valid YAML: /);
  });
  it('rejects impossible dates', async () => {
    expect(await err('waivers:\n  - check: a\n    reason: because\n    expires: 2027-13-45\n')).toMatch(
      /not a real date/,
    );
  });
});

describe('docs/checks.md', () => {
  it('is what the registry renders today (run `npm run docs` after changing a check or a message)', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderCatalogue } = await import('../../src/cli/catalogue.ts');
    expect(readFileSync('docs/checks.md', 'utf8')).toBe(renderCatalogue());
  });
  it('documents every registered check under the anchor its remediation links to, with every finding code', async () => {
    const { readFileSync } = await import('node:fs');
    const { CHECKS } = await import('../../checks/index.ts');
    const { docsAnchor } = await import('../../src/engine/docs.ts');
    const md = readFileSync('docs/checks.md', 'utf8');
    for (const c of CHECKS) {
      expect(md, c.id).toContain(`<a id="${docsAnchor(c)}"></a>`);
      for (const m of Object.keys(c.messages)) expect(md).toContain(`\`${c.id}/${m}\``);
    }
  });
});
