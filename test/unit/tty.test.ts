// The real built binary in a pseudo-terminal (tmux), read from the screen as a user sees it: while a slow
// check runs, the live view (ink) shows it with the time it has taken; when the run ends, the live view
// is gone and the screen holds the same grouped report the plain reporter prints (compared line by line
// with `--output text=…` from the same run), with no spinner left behind. `check --local` on a fixture
// root whose python3 takes 2 s to run a script file.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture-root.ts';

const BIN = join(process.cwd(), 'bin/runner-doctor');
const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const SOCKET = `rd-tty-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
/** The visible screen plus its scrollback, as text. */
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 'rd');
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

beforeAll(() => {
  if (!existsSync('dist/runner-doctor.mjs'))
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});
afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
});

describe.skipIf(!hasTmux)('the binary in a terminal (tmux)', () => {
  it('shows a slow check live, then leaves the grouped report on the screen', async () => {
    const slowPython = '#!/bin/sh\ncase "$1" in *.py) /bin/sleep 2;; esac\nexec /usr/bin/python3 "$@"\n';
    const fx = makeFixture({ real: ['python3', 'java'], bin: { python3: slowPython } });
    const textOut = join(fx.root, 'report.txt');
    const env = Object.entries({ ...fx.env, HOME: process.env.HOME, TERM: 'xterm-256color', NO_COLOR: '1' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    // env -i: no CI (the live view is for interactive terminals only), nothing of this test's environment.
    const cmd = [
      'env',
      '-i',
      ...env,
      process.execPath,
      BIN,
      'check',
      '--local',
      '--no-derived-targets',
      '--root',
      fx.root,
      '--output',
      `text=${textOut}`,
    ];
    const quoted = cmd.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    tmux('new-session', '-d', '-s', 'rd', '-x', '160', '-y', '100', `${quoted}; echo "EXIT=$?"; sleep 60`);

    // Bounded polls: 100 ms apart, 30 s at most each.
    let live = '';
    for (let i = 0; i < 300 && !/ {2}[1-9] s\s*$/m.test(live); i++) {
      await sleep(100);
      live = screen();
    }
    expect(live, live).toMatch(
      new RegExp(
        `^\\s*${SPINNER.source} (runtime|filesystem|resources|security|environment|credentials)\\.\\S+ {2}[1-9] s\\s*$`,
        'm',
      ),
    );

    let done = '';
    for (let i = 0; i < 300 && !/^EXIT=\d+$/m.test(done); i++) {
      await sleep(100);
      done = screen();
    }
    const exit = done.match(/^EXIT=(\d+)$/m)?.[1];
    expect(exit, done).toBeDefined();
    const shown = done.slice(0, done.lastIndexOf('EXIT=')).trimEnd();
    expect(shown).not.toMatch(SPINNER);
    expect(shown).not.toMatch(/running: /);
    // The screen ends in the same report the plain reporter wrote to the file (its first line is the header).
    const plain = readFileSync(textOut, 'utf8').trimEnd();
    const header = plain.split('\n')[0] ?? '';
    const fromHeader = shown.slice(shown.lastIndexOf(header));
    expect(fromHeader.split('\n').map((l) => l.trimEnd())).toEqual(plain.split('\n').map((l) => l.trimEnd()));
    expect(fromHeader).toMatch(/^runtime +✔ python\.present, python\.inline, python\.file, java\.present$/m);
    expect(fromHeader).toMatch(/judged \d+ of \d+ checks/);
    fx.cleanup();
  }, 90_000); // two bounded polls of 30 s each, on a loaded machine
});

it.skipIf(hasTmux)('skipped: tmux is not installed here (apt-get install tmux)', () => {
  expect(hasTmux).toBe(false);
});
