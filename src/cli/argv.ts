// The command line parser: a table of commands and options in, camelCase arguments or one UsageError out.
// It replaces yargs, whose ~80 ms of CPU at every start (parser, help layout, string-width tables) was
// more than half of what `runner-doctor --version` cost beyond Node.js itself.
//
// What it accepts: `--name value`, `--name=value`, `-n value`, `--flag`, `--no-flag`, `--flag=false`,
// repeatable options (`--only a --only b`; one value per flag, never the next words), `--` before
// positionals, `--help`/`-h` and `--version` anywhere. What it refuses, each as one line: an unknown
// option or command (with the nearest name), a missing or dash-led value, a number that is not one, a
// value outside the choices, options that exclude each other, a missing required option.
import { UsageError } from './errors.ts';

export interface Opt {
  type: 'string' | 'boolean' | 'number';
  describe: string;
  alias?: string;
  /** Repeatable: every occurrence adds one value. */
  array?: boolean;
  /** A string option that may be given bare (`--name` alone, or before another flag): its value is then ''. */
  optionalValue?: boolean;
  choices?: readonly string[];
  required?: boolean;
  hidden?: boolean;
}

export interface Command {
  name: string;
  describe: string;
  positional?: { name: string; describe: string; missing: string };
  options: Record<string, Opt>;
  /** Option → options it cannot be given with. */
  conflicts?: Record<string, string[]>;
  examples?: [string, string][];
}

export interface Program {
  name: string;
  usage: string;
  commands: Command[];
  examples: [string, string][];
  epilogue: string;
}

export type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: string; args: Record<string, unknown> };

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function nearest(word: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const n of names) {
    const d = distance(word, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

export function parseCommandLine(argv: string[], program: Program): Parsed {
  const positionals: string[] = [];
  let i = 0;
  // Global flags before the command.
  const first = argv[0] ?? '';
  if (first === '--help' || first === '-h') return { kind: 'help', text: programHelp(program) };
  if (first === '--version') return { kind: 'version' };
  if (first === '--') i++;
  else if (first.startsWith('-'))
    throw new UsageError(`Unknown argument: ${first.replace(/^--?/, '').replace(/=.*/, '')}`);
  const name = argv[i];
  if (name === undefined) throw new UsageError(`name a command: ${commandList(program)}`);
  const command = program.commands.find((c) => c.name === name);
  if (!command) {
    const near = nearest(
      name,
      program.commands.map((c) => c.name),
    );
    throw new UsageError(
      `unknown command "${name}"${near ? ` (did you mean ${near}?)` : ''}: name one of ${commandList(program)}`,
    );
  }
  const args: Record<string, unknown> = {};
  const byFlag = new Map<string, [string, Opt]>();
  for (const [n, o] of Object.entries(command.options)) {
    byFlag.set(`--${n}`, [n, o]);
    if (o.alias) byFlag.set(`-${o.alias}`, [n, o]);
  }
  const given = new Set<string>();
  for (i++; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') return { kind: 'help', text: commandHelp(program, command) };
    if (a === '--version') return { kind: 'version' };
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const flag: string = eq > 0 ? a.slice(0, eq) : a;
    let inline: string | undefined = eq > 0 ? a.slice(eq + 1) : undefined;
    let entry = byFlag.get(flag);
    let negated = false;
    if (!entry && flag.startsWith('--no-')) {
      const e = byFlag.get(`--${flag.slice(5)}`);
      if (e && e[1].type === 'boolean') [entry, negated] = [e, true];
    }
    if (!entry) {
      const bare = flag.replace(/^--?/, '');
      const near = bare.length >= 3 ? nearest(bare, Object.keys(command.options)) : undefined;
      throw new UsageError(`Unknown argument: ${bare || a}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    const [optName, opt] = entry;
    let value: unknown;
    if (opt.type === 'boolean') {
      if (inline !== undefined && !/^(true|false)$/.test(inline))
        throw new UsageError(`--${optName} is a switch: give --${optName} or --no-${optName}, not ${a}`);
      value = negated ? inline === 'false' : inline !== 'false';
    } else {
      if (negated) throw new UsageError(`Unknown argument: ${flag.slice(2)}`);
      if (inline === undefined) {
        const next = argv[i + 1];
        // A value that starts with a dash is taken only as --name=-value (a negative number aside).
        const none = next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next));
        if (none && opt.optionalValue) inline = '';
        else if (none)
          throw new UsageError(
            `--${optName} needs a value${next === undefined ? '' : ` (for one that starts with a dash, write --${optName}=${next})`}`,
          );
        else {
          inline = next;
          i++;
        }
      }
      if (opt.type === 'number') {
        const n = inline.trim() === '' ? Number.NaN : Number(inline);
        if (!Number.isFinite(n)) throw new UsageError(`--${optName} must be a number, not "${inline}"`);
        value = n;
      } else {
        if (opt.choices && !opt.choices.includes(inline))
          throw new UsageError(`--${optName} must be one of ${opt.choices.join(', ')}, not "${inline}"`);
        value = inline;
      }
    }
    // A switch turned off (--no-local) is not "given": it conflicts with nothing.
    if (value === false) given.delete(optName);
    else given.add(optName);
    const key = camel(optName);
    if (opt.array) args[key] = [...((args[key] as unknown[] | undefined) ?? []), value];
    else args[key] = value;
  }
  for (const [a, others] of Object.entries(command.conflicts ?? {}))
    for (const b of others)
      if (given.has(a) && given.has(b)) throw new UsageError(`--${a} and --${b} are mutually exclusive`);
  for (const [n, o] of Object.entries(command.options))
    if (o.required && !given.has(n)) throw new UsageError(`Missing required argument: ${n}`);
  const [word, ...extra] = positionals;
  if (command.positional) {
    if (word === undefined) throw new UsageError(command.positional.missing);
    args[command.positional.name] = word;
  }
  const stray = command.positional ? extra[0] : word;
  if (stray !== undefined) throw new UsageError(`Unknown argument: ${stray}`);
  return { kind: 'run', command: command.name, args };
}

const commandList = (p: Program) => {
  const names = p.commands.map((c) => c.name);
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
};

/** Two columns, the left padded to its widest entry; no wrapping (terminals and CI logs wrap for us). */
function columns(rows: [string, string][], indent = '  '): string[] {
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `${indent}${l.padEnd(w)}  ${r}`.trimEnd());
}

function programHelp(p: Program): string {
  return [
    `${p.usage}`,
    '',
    'Commands:',
    ...columns(
      p.commands.map((c) => [`${p.name} ${c.name}${c.positional ? ` <${c.positional.name}>` : ''}`, c.describe]),
    ),
    '',
    'Options:',
    ...columns([
      ['--version', 'show the version'],
      ['-h, --help', 'show help (also after a command: runner-doctor check --help)'],
    ]),
    '',
    'Examples:',
    ...columns(p.examples.map(([cmd, what]) => [cmd.replace('$0', p.name), what])),
    '',
    p.epilogue,
    '',
  ].join('\n');
}

function hint(o: Opt): string {
  if (o.choices) return `[${o.choices.join(' | ')}]`;
  const kind = o.type === 'boolean' ? '' : o.optionalValue ? `[${o.type}, or none]` : `[${o.type}]`;
  const parts = [kind, o.array ? '[repeatable]' : '', o.required ? '[required]' : ''].filter(Boolean);
  return parts.join(' ');
}

function commandHelp(p: Program, c: Command): string {
  const rows: [string, string][] = Object.entries(c.options)
    .filter(([, o]) => !o.hidden)
    .map(([n, o]) => [`${o.alias ? `-${o.alias}, ` : '    '}--${n}`, [o.describe, hint(o)].filter(Boolean).join('  ')]);
  rows.push(['-h, --help', 'show this help']);
  const out = [
    `${p.name} ${c.name}${c.positional ? ` <${c.positional.name}>` : ''}${rows.length > 1 ? ' [options]' : ''}`,
    '',
    c.describe,
    '',
  ];
  if (c.positional) out.push('Arguments:', ...columns([[c.positional.name, c.positional.describe]]), '');
  out.push('Options:', ...columns(rows), '');
  if (c.examples?.length)
    out.push('Examples:', ...columns(c.examples.map(([cmd, what]) => [cmd.replace('$0', p.name), what])), '');
  return out.join('\n');
}
