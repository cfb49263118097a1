// Interactive terminal reporter (ink): live progress per category while checks run — a check that has run
// for a second or more gets its own line with the time it has taken — then, once the view is cleared, the
// same grouped report as the plain reporter, in colour (check.ts prints it). Loaded lazily: only TTY runs
// pay for ink and React.
import { createElement as h, useEffect, useState } from 'react';
import { Box, Text, render } from 'ink';
import type { CheckDef, CheckResult, Status } from '../src/engine/types.ts';
import { SYMBOL } from './plain.ts';

export interface ProgressState {
  /** Category → number of (check, target) pairs expected and done, with status counts. */
  categories: { name: string; total: number; done: number; worst?: Status }[];
  running: string[];
  recent: CheckResult[];
  /** When each running (check, target) started (epoch ms), keyed like `running`. */
  started?: Record<string, number>;
}

/** A check that has run this long shows its own progress line. */
export const SLOW_MS = 1000;

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const colorOf: Record<Status, string> = {
  pass: 'green',
  info: 'cyan',
  warn: 'yellow',
  fail: 'red',
  error: 'magenta',
  skip: 'gray',
};

export function Progress({ state, frame, now = Date.now() }: { state: ProgressState; frame: number; now?: number }) {
  const slow = state.running
    .map((k) => ({ k, ms: now - (state.started?.[k] ?? now) }))
    .filter((x) => x.ms >= SLOW_MS)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 4);
  return h(
    Box,
    { flexDirection: 'column' },
    ...state.categories.map((c) =>
      h(
        Box,
        { key: c.name },
        h(
          Text,
          { color: c.done === c.total ? colorOf[c.worst ?? 'pass'] : 'blue' },
          c.done === c.total ? SYMBOL[c.worst ?? 'pass'] : SPIN[frame % SPIN.length],
        ),
        h(Text, null, ` ${c.name.padEnd(12)} ${c.done}/${c.total}`),
      ),
    ),
    ...state.recent
      .slice(-3)
      .map((r, i) =>
        h(
          Text,
          { key: `r${i}`, color: colorOf[r.status] },
          `  ${SYMBOL[r.status]} ${r.checkId}  ${r.message.slice(0, 100)}`,
        ),
      ),
    ...slow.map((x) =>
      h(
        Box,
        { key: `s${x.k}` },
        h(Text, { color: 'blue' }, `  ${SPIN[frame % SPIN.length]}`),
        h(Text, null, ` ${x.k.replace('@', ' on ')}  `),
        h(Text, { color: 'gray' }, `${Math.floor(x.ms / 1000)} s`),
      ),
    ),
    state.running.length
      ? h(
          Text,
          { color: 'gray' },
          `  running: ${state.running.slice(0, 3).join(', ')}${state.running.length > 3 ? ` +${state.running.length - 3}` : ''}`,
        )
      : null,
  );
}

const WORST: Status[] = ['error', 'fail', 'warn', 'info', 'pass', 'skip'];

export interface LiveHandle {
  onStart(checkId: string, target: string): void;
  onResult(r: CheckResult): void;
  stop(): Promise<void>;
}

/** Starts the live view for the planned (check, target) pairs. */
export function startLive(
  planned: { check: CheckDef; target: string }[],
  stdout: NodeJS.WriteStream = process.stdout,
): LiveHandle {
  const cats = new Map<string, { name: string; total: number; done: number; worst?: Status }>();
  for (const p of planned) {
    const c = cats.get(p.check.category) ?? { name: p.check.category, total: 0, done: 0 };
    c.total++;
    cats.set(p.check.category, c);
  }
  let state: ProgressState = { categories: [...cats.values()], running: [], recent: [] };
  let push: (s: ProgressState) => void = () => {};
  // biome-ignore lint/correctness/noComponentHookFactories: one live view per run; App closes over its state and push().
  function App() {
    const [s, setS] = useState(state);
    const [frame, setFrame] = useState(0);
    useEffect(() => {
      push = setS;
      const t = setInterval(() => setFrame((f) => f + 1), 80);
      return () => clearInterval(t);
    }, []);
    return h(Progress, { state: s, frame });
  }
  const app = render(h(App), { stdout, patchConsole: false, exitOnCtrlC: true });
  const update = (next: ProgressState) => {
    state = next;
    push(state);
  };
  return {
    onStart(checkId, target) {
      const key = `${checkId}${target === 'local' ? '' : `@${target}`}`;
      update({ ...state, running: [...state.running, key], started: { ...state.started, [key]: Date.now() } });
    },
    onResult(r) {
      const key = `${r.checkId}${r.target === 'local' ? '' : `@${r.target}`}`;
      const categories = state.categories.map((c) => {
        if (c.name !== r.category) return c;
        const worst = WORST.indexOf(r.status) < WORST.indexOf(c.worst ?? 'skip') ? r.status : c.worst;
        return { ...c, done: Math.min(c.total, c.done + 1), worst };
      });
      const { [key]: _done, ...started } = state.started ?? {};
      update({
        categories,
        running: state.running.filter((k) => k !== key),
        recent: [...state.recent, r].slice(-3),
        started,
      });
    },
    async stop() {
      app.clear();
      app.unmount();
      await app.waitUntilExit().catch(() => {});
    },
  };
}
