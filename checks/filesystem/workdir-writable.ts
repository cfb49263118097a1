import { defineCheck, fail, pass } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'filesystem.workdir.writable',
  title: 'The runner working directory is writable',
  category: 'filesystem',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: 'Creates and removes a file in ${MTLN_EMERALD_WORKING_DIR:-/home}/<user>.',
    why: 'The runner keeps per-user working files (api_profiles, extracted libraries) there.',
    fix: 'Make the directory exist and be owned by the runner user (image or an emptyDir volume with fsGroup), or point MTLN_EMERALD_WORKING_DIR at a writable volume.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { fs } = await fact('probe');
    const wd = fs.paths[fs.workdir];
    if (!wd || wd.write === 'missing') return fail(`working directory ${fs.workdir} does not exist`, { details: { path: fs.workdir }, remediation: `create ${fs.workdir} in the image or mount a writable volume there; set MTLN_EMERALD_WORKING_DIR if the runner should work elsewhere` });
    if (wd.write === 'denied') return fail(`working directory ${fs.workdir} is not writable for the runner user`, { details: { path: fs.workdir, mount: wd.mount?.mountPoint }, remediation: `make ${fs.workdir} writable: an emptyDir volume there, or fsGroup / runAsUser matching the directory owner` });
    return pass(`working directory ${fs.workdir} is writable`, { details: { path: fs.workdir } });
  },
});
