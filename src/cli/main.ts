// runner-doctor's command line. Every way it can end is an exit code from EXIT, and every error a
// user can cause is one line on stderr (never a stack trace).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT } from '../engine/report.ts';
import { UsageError } from './errors.ts';
import { toolVersion } from './version.ts';

const EXAMPLES: [string, string][] = [
  [
    '$0 check --namespace matillion',
    'the live deployment: cluster checks, and in-pod checks in every runner pod through exec',
  ],
  ['$0 check --local', 'check the environment this runs in (a runner container, or any Linux host)'],
  [
    '$0 check --local --output junit=doctor.xml --output json=doctor.json',
    'terminal report plus JUnit and JSON in one run',
  ],
  ['$0 check --local --output json=- --fail-on warn', 'JSON on stdout; exit 1 on any warning'],
  ['$0 check --local --only filesystem --skip filesystem.shm.size', 'select by category, skip one check by id'],
  ['$0 check -n matillion --save-snapshot doctor.json.gz', 'a support bundle: every collected fact, no secrets'],
  ['$0 check --from-snapshot doctor.json.gz', 'judge a saved snapshot, no cluster needed'],
  ['$0 list --json', 'the check catalogue as JSON'],
  ['$0 explain runtime.python.file', 'what a check looks at, why it matters, how to fix it'],
];

const EPILOGUE = `Exit codes:
  0  clean: nothing at or above the --fail-on threshold, and every check judged
  1  findings at or above the threshold
  2  usage or config error (bad flag, bad config file, unknown check, unreadable snapshot)
  3  could not run at all (the target could not be examined); reports are still written
  4  incomplete: no finding at the threshold, but some checks could not judge (error: forbidden, timed out …)

Environment: NO_COLOR, FORCE_COLOR, CI (plain output), KUBECONFIG.`;

function fail(msg: string, code: number): never {
  process.stderr.write(`runner-doctor: ${msg}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<number> {
  let code = EXIT.ok as number;
  const parser = yargs(argv)
    .scriptName('runner-doctor')
    .version(toolVersion())
    .usage(
      '$0 <command> [options]\n\nValidates and diagnoses data-platform runners on Kubernetes, check by check, with the fix for each finding.',
    )
    .command(
      'check',
      'run the checks and report',
      (y) =>
        y
          .option('local', { type: 'boolean', describe: 'check the environment this process runs in (in-pod checks)' })
          .option('namespace', {
            alias: 'n',
            type: 'string',
            describe: 'namespace of the runner (all namespaces when omitted)',
          })
          .option('release', {
            type: 'string',
            describe: 'Helm release name: only pods with app.kubernetes.io/instance=<release>',
          })
          .option('pod', { type: 'string', describe: 'examine this one pod (needs --namespace)' })
          .option('kubeconfig', {
            type: 'string',
            describe: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
          })
          .option('context', { type: 'string', describe: 'kubeconfig context' })
          .conflicts('local', ['namespace', 'pod', 'release'])
          .option('output', {
            alias: 'o',
            type: 'string',
            array: true,
            describe: 'extra report: junit=PATH, json=PATH, text=PATH; PATH - is stdout (repeatable)',
          })
          .option('fail-on', {
            choices: ['warn', 'fail'] as const,
            describe: 'lowest status that makes the exit code 1 (default fail)',
          })
          .option('only', {
            type: 'string',
            array: true,
            describe: 'run only these check ids, categories or tags (comma-separated or repeated; id prefixes with *)',
          })
          .option('skip', { type: 'string', array: true, describe: 'do not run these check ids, categories or tags' })
          .option('config', {
            alias: 'c',
            type: 'string',
            describe: 'YAML config file (selection, fail-on, timeout, waivers)',
          })
          .option('timeout', {
            type: 'number',
            describe:
              'deadline for the whole run in seconds, from process start; in-flight API calls, execs and probes are cancelled and unfinished checks become errors (default 120)',
          })
          .option('check-timeout', { type: 'number', describe: 'timeout of one in-pod probe in seconds (default 30)' })
          .option('concurrency', { type: 'number', describe: 'execs into runner pods at once (default 8)' })
          .option('target', {
            type: 'string',
            array: true,
            describe: 'extra egress target: host[:port], https://host[:port], http://host[:port], name=… (repeatable)',
          })
          .option('egress-override', {
            type: 'string',
            array: true,
            describe:
              'connect to another address for a target: host=address[:port] (the name and certificate name stay; repeatable)',
          })
          .option('ca', {
            type: 'string',
            array: true,
            describe: 'extra trusted CA bundle (PEM file or directory) for the egress TLS stage',
          })
          .option('derived-targets', {
            type: 'boolean',
            describe:
              "test the endpoints derived from the runner's settings (default true; --no-derived-targets for only --target)",
          })
          .option('dns-server', {
            type: 'string',
            array: true,
            describe: 'ask this DNS server (ip[:port]) in the egress DNS stage instead of the system resolver',
          })
          .option('egress-timeout', { type: 'number', describe: 'per-stage egress timeout in seconds (default 3–4)' })
          .option('save-snapshot', {
            type: 'string',
            describe: 'write every collected fact to PATH (a support bundle without secrets; .gz to compress)',
          })
          .option('from-snapshot', {
            type: 'string',
            describe: 'judge a saved snapshot instead of a live target (no cluster needed)',
          })
          .option('root', {
            type: 'string',
            hidden: true,
            describe: 'path prefix for every file the local probe reads (fixture trees)',
          })
          .option('probe-shell', {
            type: 'string',
            hidden: true,
            describe: 'shell that runs the local probe (default /bin/sh)',
          })
          .example(EXAMPLES.slice(0, 7)),
      async (args) => {
        const { runCheckCommand } = await import('./check.ts');
        code = await runCheckCommand(args);
      },
    )
    .command(
      'list',
      'list the checks',
      (y) => y.option('json', { type: 'boolean', describe: 'as JSON' }),
      async (args) => {
        const { listCommand } = await import('./catalog.ts');
        code = listCommand(Boolean(args.json));
      },
    )
    .command(
      'explain <id>',
      'explain a check: what it looks at, why, how to fix',
      (y) => y.positional('id', { type: 'string', demandOption: true }),
      async (args) => {
        const { explainCommand } = await import('./catalog.ts');
        code = explainCommand(String(args.id));
      },
    )
    .example(EXAMPLES)
    .epilogue(EPILOGUE)
    .demandCommand(1, 'name a command: check, list or explain')
    .strict()
    .recommendCommands()
    .wrap(null)
    .help()
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      if (err) fail(err.message, EXIT.usage);
      fail(`${(msg ?? 'invalid usage').split('\n')[0]} (see runner-doctor --help)`, EXIT.usage);
    });
  await parser.parseAsync();
  return code;
}

try {
  const code = await main(hideBin(process.argv));
  // Flush before exiting: stdout may be a pipe.
  if (process.stdout.writableLength > 0) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
  process.exit(code);
} catch (e) {
  if (e instanceof UsageError) fail(e.message, EXIT.usage);
  const msg = e instanceof Error ? e.message : String(e);
  fail(`internal error: ${msg.split('\n')[0]} (please report this with the command you ran)`, EXIT.couldNotRun);
}
