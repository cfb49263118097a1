import javaPresent from '../../../checks/runtime/java.present.ts';
import pythonFile from '../../../checks/runtime/python.file.ts';
import pythonInline from '../../../checks/runtime/python.inline.ts';
import pythonPresent from '../../../checks/runtime/python.present.ts';
import restrictedMode from '../../../checks/runtime/restricted-mode.ts';
import { table } from '../../helpers/check-table.ts';
import { message, pod } from './fixtures-pod.ts';
import { edit, healthyPodFacts } from './fixtures.ts';

const withFile = (file: NonNullable<ReturnType<typeof healthyPodFacts>['runtimes']>['python']['file'], inlineRc = 0) =>
  edit(healthyPodFacts(), (f) => {
    if (!f.runtimes) return;
    f.runtimes.python.file = file;
    if (f.runtimes.python.inline) f.runtimes.python.inline.rc = inlineRc;
  });

export const tables = [
  table(pythonPresent, {
    valid: [
      {
        name: 'python3 3.11 on PATH',
        facts: healthyPodFacts(),
        codes: ['found'],
        expect: message('python3 3.11.2 at /usr/bin/python3'),
      },
      {
        name: 'a version python3 did not print',
        facts: pod((f) => {
          f.runtimes.python.version = undefined;
        }),
        codes: ['found'],
        expect: message('python3 unknown version at /usr/bin/python3'),
      },
    ],
    invalid: [
      {
        name: 'python3 missing',
        facts: pod((f) => {
          f.runtimes.python = {};
        }),
        codes: ['missing'],
      },
      {
        name: 'python3 3.8 (end of life)',
        facts: pod((f) => {
          f.runtimes.python.version = '3.8.18';
        }),
        codes: ['too-old'],
      },
    ],
  }),
  table(pythonInline, {
    valid: [{ name: 'python3 -c prints the marker', facts: healthyPodFacts(), codes: ['ran'] }],
    invalid: [
      {
        name: 'python3 -c broken (missing libpython)',
        facts: pod((f) => {
          f.runtimes.python.inline = { rc: 127, out: 'ImportError: libpython3.11.so' };
        }),
        codes: ['failed'],
        expect: message('python3 -c exited with 127: ImportError: libpython3.11.so'),
      },
      {
        name: 'exit 0 without the expected output',
        facts: pod((f) => {
          f.runtimes.python.inline = { rc: 0, out: 'Hello from sitecustomize' };
        }),
        codes: ['failed'],
        expect: message('python3 -c exited with 0: Hello from sitecustomize'),
      },
      {
        name: 'no exit code and no output',
        facts: pod((f) => {
          f.runtimes.python.inline = { rc: null, out: '' };
        }),
        codes: ['failed'],
        expect: message('python3 -c exited with an unknown code'),
      },
      {
        name: 'the probe never ran it',
        facts: pod((f) => {
          f.runtimes.python.inline = undefined;
        }),
        codes: ['not-run'],
      },
    ],
  }),
  table(pythonFile, {
    valid: [{ name: 'python3 runs a file in /tmp', facts: healthyPodFacts(), codes: ['ran'] }],
    invalid: [
      {
        name: 'killed with 137 while inline works: the security-agent signature',
        facts: withFile({ rc: 137, out: '' }),
        codes: ['security-agent-kill'],
      },
      {
        name: 'killed with 137 and inline fails too: OOM as likely',
        facts: withFile({ rc: 137, out: '' }, 1),
        codes: ['killed'],
      },
      {
        name: 'no writable place for the script',
        facts: withFile({ rc: 'unwritable', out: '' }),
        codes: ['unwritable'],
      },
      { name: 'exit 126', facts: withFile({ rc: 126, out: '' }), codes: ['permission-denied'] },
      {
        name: 'any other exit code, with its output',
        facts: withFile({ rc: 1, out: 'SyntaxError' }),
        codes: ['failed'],
      },
      { name: 'the probe never ran it', facts: withFile(undefined), codes: ['not-run'] },
    ],
  }),
  table(javaPresent, {
    valid: [
      {
        name: 'java 17 on PATH',
        facts: healthyPodFacts(),
        codes: ['found'],
        expect: message('openjdk version "17.0.15" 2025-04-15 at /usr/bin/java'),
      },
    ],
    invalid: [
      {
        name: 'java missing',
        facts: pod((f) => {
          f.runtimes.java = {};
        }),
        codes: ['missing'],
      },
      {
        name: 'java 11',
        facts: pod((f) => {
          f.runtimes.java = { path: '/usr/bin/java', version: 'openjdk version "11.0.22"', major: 11 };
        }),
        codes: ['too-old'],
        expect: message('java 11 at /usr/bin/java is older than 17'),
      },
    ],
  }),
  table(restrictedMode, {
    valid: [
      {
        name: 'no sudo, no restricteduser: the mode is unavailable, the default mode unaffected',
        facts: healthyPodFacts(),
        codes: ['unavailable'],
      },
      {
        name: 'sudo and the restricteduser user and group',
        facts: pod((f) => {
          f.runtimes.sudo = true;
          f.runtimes.restrictedUser = true;
          f.runtimes.restrictedGroup = true;
        }),
        codes: ['ready'],
      },
    ],
    invalid: [
      {
        name: 'sudo without restricteduser',
        facts: pod((f) => {
          f.runtimes.sudo = true;
        }),
        codes: ['incomplete'],
        expect: message('RESTRICTED script mode is half set up: missing restricteduser user, restricteduser group'),
      },
      {
        name: 'restricteduser without sudo (group unknown)',
        facts: pod((f) => {
          f.runtimes.restrictedUser = true;
          f.runtimes.restrictedGroup = null;
        }),
        codes: ['incomplete'],
        expect: message('RESTRICTED script mode is half set up: missing /usr/bin/sudo, restricteduser group'),
      },
    ],
  }),
];
