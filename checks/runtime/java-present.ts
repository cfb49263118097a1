import { defineCheck, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.java.present',
  title: 'java is on PATH',
  category: 'runtime',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Looks for java on PATH and reads `java -version`.',
    why: 'The runner agent is a Java application; a missing or very old JVM means a modified or wrong image.',
    fix: 'Use the vendor runner image unmodified; a custom image must ship Java 17 or newer on PATH.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { java } = await fact('probe');
    if (!java.path) return warn('java was not found on PATH', { remediation: 'use the vendor runner image, which ships a JVM; a custom image must put java (17+) on PATH' });
    if (java.major !== undefined && java.major < 17) return warn(`java ${java.major} at ${java.path} is older than 17`, { details: { path: java.path, version: java.version } });
    return pass(`${java.version ?? 'java'} at ${java.path}`, { details: { path: java.path, version: java.version, major: java.major } });
  },
});
