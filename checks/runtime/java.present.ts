import { defineCheck } from '../../src/engine/define.ts';

const MIN_MAJOR = 17;

export default defineCheck({
  id: 'runtime.java.present',
  title: 'java is on PATH',
  category: 'runtime',
  scope: 'pod',
  docs: {
    what: 'Looks for java on PATH and reads `java -version`.',
    why: 'The runner agent is a Java application; a missing or very old JVM means a modified or wrong image.',
    fix: 'Use the vendor runner image unmodified; a custom image must ship Java 17 or newer on PATH.',
  },
  needs: ['runtimes'],
  messages: {
    found: { status: 'pass', text: '{{version}} at {{path}}' },
    'too-old': { status: 'warn', text: 'java {{major}} at {{path}} is older than 17' },
    missing: {
      status: 'warn',
      text: 'java was not found on PATH',
      fix: 'use the vendor runner image, which ships a JVM; a custom image must put java (17+) on PATH',
    },
  },
  judge({ runtimes }, { report }) {
    const { java } = runtimes;
    if (!java.path) return report('missing');
    if (java.major !== undefined && java.major < MIN_MAJOR) {
      return report(
        'too-old',
        { major: java.major, path: java.path },
        { details: { path: java.path, version: java.version } },
      );
    }
    const details = { path: java.path, version: java.version, major: java.major };
    return report('found', { version: java.version ?? 'java', path: java.path }, { details });
  },
});
