// The command line parser on its own: what each accepted form yields, and the one line each refused form
// gets. The CLI tests (cli.test.ts) spawn the built binary; these pin the parser's rules.
import { describe, expect, it } from 'vitest';
import { type Program, parseCommandLine } from '../../src/cli/argv.ts';

const PROGRAM: Program = {
  name: 'rd',
  usage: 'rd <command>',
  commands: [
    {
      name: 'check',
      describe: 'run the checks',
      options: {
        local: { type: 'boolean', describe: 'local' },
        namespace: { type: 'string', alias: 'n', describe: 'namespace' },
        output: { type: 'string', alias: 'o', array: true, describe: 'outputs' },
        'fail-on': { type: 'string', choices: ['warn', 'fail'], describe: 'threshold' },
        timeout: { type: 'number', describe: 'seconds' },
        'derived-targets': { type: 'boolean', describe: 'derived' },
        'log-group': { type: 'string', optionalValue: true, describe: 'a group, or none for the default' },
        root: { type: 'string', hidden: true, describe: 'fixture root' },
      },
      conflicts: { local: ['namespace'] },
      examples: [['$0 check -n matillion', 'the runner']],
    },
    {
      name: 'manifest',
      describe: 'print YAML',
      options: {
        namespace: { type: 'string', alias: 'n', required: true, describe: 'namespace' },
        arg: { type: 'string', array: true, describe: 'extra' },
      },
    },
    {
      name: 'explain',
      describe: 'explain a check',
      positional: { name: 'id', describe: 'a check id', missing: 'explain needs a check id' },
      options: {},
    },
  ],
  examples: [['$0 check --local', 'here']],
  epilogue: 'Exit codes: …',
};

const run = (...argv: string[]) => parseCommandLine(argv, PROGRAM);
const args = (...argv: string[]) => {
  const p = run(...argv);
  if (p.kind !== 'run') throw new Error(`expected a run, got ${p.kind}`);
  return p.args;
};

describe('accepted command lines', () => {
  it.each([
    [['check', '--namespace', 'matillion'], { namespace: 'matillion' }],
    [['check', '--namespace=matillion'], { namespace: 'matillion' }],
    [['check', '-n', 'matillion'], { namespace: 'matillion' }],
    [['check', '--local'], { local: true }],
    [['check', '--local=false'], { local: false }],
    [['check', '--no-derived-targets'], { derivedTargets: false }],
    [['check', '--derived-targets'], { derivedTargets: true }],
    [['check', '-o', 'json=-', '--output', 'junit=r.xml'], { output: ['json=-', 'junit=r.xml'] }],
    [['check', '--fail-on', 'warn', '--timeout', '8.5'], { failOn: 'warn', timeout: 8.5 }],
    [['check', '--timeout', '-1'], { timeout: -1 }],
    [['check', '--namespace', 'a', '--namespace', 'b'], { namespace: 'b' }],
    [['check', '--root', '/fx'], { root: '/fx' }],
    [['check', '--log-group'], { logGroup: '' }],
    [['check', '--log-group', '--local'], { logGroup: '', local: true }],
    [['check', '--log-group', 'app'], { logGroup: 'app' }],
    [['check', '--no-local', '-n', 'x'], { local: false, namespace: 'x' }],
    [['manifest', '-n', 'm', '--arg=--only', '--arg=runtime'], { namespace: 'm', arg: ['--only', 'runtime'] }],
    [['explain', 'runtime.python.file'], { id: 'runtime.python.file' }],
    [['explain', '--', '-odd-id'], { id: '-odd-id' }],
  ])('%j', (argv, expected) => {
    expect(args(...argv)).toEqual(expected);
  });

  it('--version and --help anywhere, and help per command', () => {
    expect(run('--version')).toEqual({ kind: 'version' });
    expect(run('check', '-n', 'x', '--version')).toEqual({ kind: 'version' });
    const top = run('--help');
    expect(top.kind === 'help' && top.text).toMatch(/rd check +run the checks\n/);
    expect(top.kind === 'help' && top.text).toMatch(/rd explain <id> +explain a check/);
    expect(top.kind === 'help' && top.text).toMatch(/rd check --local +here/);
    const check = run('check', '-h');
    const text = check.kind === 'help' ? check.text : '';
    expect(text).toMatch(/^rd check \[options\]\n/);
    expect(text).toMatch(/ {2}-n, --namespace +namespace {2}\[string\]/);
    expect(text).toMatch(/--output +outputs {2}\[string\] \[repeatable\]/);
    expect(text).toMatch(/--fail-on +threshold {2}\[warn \| fail\]/);
    expect(text).toMatch(/rd check -n matillion +the runner/);
    expect(text).not.toMatch(/--root/);
  });
});

describe('refused command lines: one line naming the mistake', () => {
  it.each([
    [[], /^name a command: check, manifest or explain$/],
    [['chek'], /^unknown command "chek" \(did you mean check\?\)/],
    [['zzzzzzzz'], /^unknown command "zzzzzzzz": name one of/],
    [['--bogus'], /^Unknown argument: bogus$/],
    [['check', '--bogus'], /^Unknown argument: bogus$/],
    [['check', '--namspace', 'x'], /^Unknown argument: namspace \(did you mean --namespace\?\)$/],
    [['check', '--no-namespace'], /^Unknown argument: no-namespace/],
    [['check', '--namespace'], /^--namespace needs a value$/],
    [
      ['check', '--namespace', '--local'],
      /^--namespace needs a value \(for one that starts with a dash, write --namespace=--local\)$/,
    ],
    [['check', '--timeout', 'abc'], /^--timeout must be a number, not "abc"$/],
    [['check', '--timeout='], /^--timeout must be a number, not ""$/],
    [['check', '--fail-on', 'never'], /^--fail-on must be one of warn, fail, not "never"$/],
    [['check', '--local=yes'], /^--local is a switch/],
    [['check', '--local', '-n', 'x'], /^--local and --namespace are mutually exclusive$/],
    [['check', '-n', 'x', '--local=true'], /^--local and --namespace are mutually exclusive$/],
    [['check', '--=x'], /^Unknown argument: --=x$/],
    [['check', 'stray'], /^Unknown argument: stray$/],
    [['manifest'], /^Missing required argument: namespace$/],
    [['manifest', '-n', 'm', '--arg', '--only'], /^--arg needs a value/],
    [['explain'], /^explain needs a check id$/],
    [['explain', 'a', 'b'], /^Unknown argument: b$/],
  ])('%j', (argv, message) => {
    expect(() => run(...argv)).toThrow(message);
  });
});
