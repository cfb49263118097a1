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
  1  findings at or above the threshold (with --fail-on new: findings the --baseline report did not have)
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
            describe:
              'extra report: junit=PATH, json=PATH, text=PATH, markdown=PATH (a CI summary, e.g. $GITHUB_STEP_SUMMARY); PATH - is stdout (repeatable)',
          })
          .option('fail-on', {
            choices: ['warn', 'fail', 'new'] as const,
            describe:
              'lowest status that makes the exit code 1 (default fail); new: only findings (warn or fail) that --baseline does not have',
          })
          .option('baseline', {
            type: 'string',
            describe:
              'an earlier JSON report (--output json=…): show new, resolved and unchanged findings in every format',
          })
          .option('verbose', {
            alias: 'v',
            type: 'boolean',
            describe: 'show every target of every check, and every member of a cause',
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
          .option('identity-exchange', {
            type: 'boolean',
            describe:
              "exchange each runner pod's own projected token with its cloud (STS, Azure AD, the GKE metadata server) from inside the pod, as its SDK would (default true; off with --no-identity-exchange, and with --no-derived-targets unless given)",
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
          .option('azure-workspace', {
            type: 'string',
            describe:
              "read the runner's recent errors from this Log Analytics workspace (its ID, a GUID): the logs checks; needs Log Analytics Reader",
          })
          .option('aws-log-group', {
            type: 'string',
            describe:
              "read the runner's recent errors from CloudWatch Logs: a log group, or an EKS cluster name for /aws/containerinsights/<cluster>/application (empty: from the kube context); needs logs:StartQuery and logs:GetQueryResults",
          })
          .option('aws-region', {
            type: 'string',
            describe: 'AWS region of the log group (default: AWS_REGION, else the kube context)',
          })
          .option('since', {
            type: 'string',
            describe: 'how far back the logs checks read: 90m, 24h, 7d (default 24h)',
          })
          .option('azure-logs-endpoint', {
            type: 'string',
            describe: 'Log Analytics API base for sovereign clouds (default https://api.loganalytics.io/v1)',
          })
          .option('save-snapshot', {
            type: 'string',
            describe: 'write every collected fact to PATH (a support bundle without secrets; .gz to compress)',
          })
          .option('from-snapshot', {
            type: 'string',
            describe: 'judge a saved snapshot instead of a live target (no cluster needed)',
          })
          .option('pushgateway', {
            type: 'string',
            describe:
              'push the run as Prometheus metrics to this Pushgateway URL (the group job=runner-doctor,namespace=… is replaced)',
          })
          .option('metrics-file', {
            type: 'string',
            describe: 'write the run as Prometheus metrics to PATH (.prom, for the node-exporter textfile collector)',
          })
          .option('summary-file', {
            type: 'string',
            describe: 'write the verdict and the first findings to PATH (a Job uses /dev/termination-log)',
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
      'manifest',
      'print the YAML that runs the doctor in the cluster: ServiceAccount, least-privilege Role/ClusterRole derived from the selected checks, bindings, and a Job',
      (y) =>
        y
          .option('namespace', {
            alias: 'n',
            type: 'string',
            demandOption: true,
            describe: 'namespace of the runner (the Job runs there)',
          })
          .option('release', { type: 'string', describe: 'Helm release name of the runner' })
          .option('only', {
            type: 'string',
            array: true,
            describe: 'check ids, categories or tags the Job runs (the rules follow)',
          })
          .option('skip', { type: 'string', array: true, describe: 'checks the Job skips (their rules are left out)' })
          .option('name', {
            type: 'string',
            describe: 'name of the ServiceAccount, Role and Job (default runner-doctor)',
          })
          .option('image', { type: 'string', describe: 'the doctor image (default runner-doctor:<version>)' })
          .option('image-pull-policy', {
            type: 'string',
            choices: ['Always', 'IfNotPresent', 'Never'],
            describe: 'default IfNotPresent',
          })
          .option('fail-on', {
            choices: ['warn', 'fail'] as const,
            describe: 'threshold for the Job to fail (default fail)',
          })
          .option('timeout', {
            type: 'number',
            describe: "the check's deadline in seconds (default 300; the Job's activeDeadlineSeconds adds 60)",
          })
          .option('rbac-only', { type: 'boolean', describe: 'only the ServiceAccount, roles and bindings' })
          .option('arg', {
            type: 'string',
            array: true,
            describe: 'extra argument for `check` in the Job, as --arg=--flag (repeatable)',
          })
          .option('sa-annotation', {
            type: 'string',
            array: true,
            describe:
              'KEY=VALUE annotation on the ServiceAccount, e.g. eks.amazonaws.com/role-arn=… for the cloud-logs checks (repeatable)',
          })
          .option('pod-label', {
            type: 'string',
            array: true,
            describe: 'KEY=VALUE label on the Job pod, e.g. azure.workload.identity/use=true (repeatable)',
          }),
      async (args) => {
        const { manifestCommand } = await import('./manifest.ts');
        code = await manifestCommand(args);
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
    .demandCommand(1, 'name a command: check, manifest, list or explain')
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
