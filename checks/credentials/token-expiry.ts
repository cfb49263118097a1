import { defineCheck, fail, pass, skip, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'credentials.token-expiry',
  title: 'Projected identity tokens are not expired',
  category: 'credentials',
  scope: 'pod',
  severity: 'fail',
  tags: ['identity'],
  docs: {
    what: 'Reads only the `exp` claim of the IRSA / Azure workload identity token inside the pod (the token itself never leaves it).',
    why: 'The kubelet refreshes projected tokens before they expire; an expired token means rotation is broken and every cloud call fails.',
    fix: 'Restart the pod (a new token is projected); if it recurs, check the kubelet and the token volume\'s expirationSeconds.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { tokens } = await fact('probe');
    const readable = Object.entries(tokens).filter(([, t]) => t.state === 'ok');
    if (readable.length === 0) return skip('not applicable: no readable projected token file');
    const now = Math.floor(Date.now() / 1000);
    return readable.map(([name, t]) => {
      if (t.exp === undefined) return warn(`${name}: could not read the token's expiry (not a JWT, or no base64 tool in the image)`);
      const left = t.exp - now;
      const when = new Date(t.exp * 1000).toISOString();
      if (left <= 0) return fail(`${name}: token expired at ${when}`, { details: { expiresAt: when } });
      return pass(`${name}: token valid until ${when} (${Math.round(left / 60)} min left)`, { details: { expiresAt: when, secondsLeft: left } });
    });
  },
});
