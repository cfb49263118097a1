import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'filesystem.workdir.writable',
  title: 'The runner working directory is writable',
  category: 'filesystem',
  scope: 'pod',
  docs: {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell expansion the runner uses, shown literally
    what: 'Creates and removes a file in ${MTLN_EMERALD_WORKING_DIR:-/home}/<user>.',
    why: 'The runner keeps per-user working files (api_profiles, extracted libraries) there.',
    fix: 'Make the directory exist and be owned by the runner user (image or an emptyDir volume with fsGroup), or point MTLN_EMERALD_WORKING_DIR at a writable volume.',
  },
  needs: ['filesystem'],
  messages: {
    writable: { status: 'pass', text: 'working directory {{path}} is writable' },
    missing: {
      status: 'fail',
      text: 'working directory {{path}} does not exist',
      fix: 'create {{path}} in the image or mount a writable volume there; set MTLN_EMERALD_WORKING_DIR if the runner should work elsewhere',
    },
    denied: {
      status: 'fail',
      text: 'working directory {{path}} is not writable for the runner user',
      fix: 'make {{path}} writable: an emptyDir volume there, or fsGroup / runAsUser matching the directory owner',
    },
  },
  judge({ filesystem }, { report }) {
    const path = filesystem.workdir;
    const wd = filesystem.paths[path];
    if (!wd || wd.write === 'missing') return report('missing', { path }, { details: { path } });
    if (wd.write === 'denied') return report('denied', { path }, { details: { path, mount: wd.mount?.mountPoint } });
    return report('writable', { path }, { details: { path } });
  },
});
