import { defineCheck } from '../../src/engine/define.ts';

/** An epoch-seconds instant as ISO 8601 (formatting a fact, not reading the clock). */
const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

export default defineCheck({
  id: 'credentials.token-expiry',
  title: 'Projected identity tokens are not expired',
  category: 'credentials',
  scope: 'pod',
  tags: ['identity'],
  docs: {
    what: 'Reads only the `exp` claim of the IRSA / Azure workload identity token inside the pod (the token itself never leaves it).',
    why: 'The kubelet refreshes projected tokens before they expire; an expired token means rotation is broken and every cloud call fails.',
    fix: "Restart the pod (a new token is projected); if it recurs, check the kubelet and the token volume's expirationSeconds.",
  },
  needs: ['credentials', 'now'],
  messages: {
    valid: { status: 'pass', text: '{{name}}: token valid until {{when}} ({{minutes}} min left)' },
    expired: { status: 'fail', text: '{{name}}: token expired at {{when}}' },
    'no-expiry': {
      status: 'warn',
      text: "{{name}}: could not read the token's expiry (not a JWT, or no base64 tool in the image)",
    },
    'no-token': { status: 'skip', text: 'no readable projected token file' },
  },
  judge({ credentials, now }, { report }) {
    const readable = Object.entries(credentials.tokens).filter(([, t]) => t.state === 'ok');
    if (readable.length === 0) return report('no-token');
    const nowSeconds = Math.floor(now / 1000);
    return readable.map(([name, t]) => {
      if (t.exp === undefined) return report('no-expiry', { name });
      const left = t.exp - nowSeconds;
      const when = iso(t.exp);
      if (left <= 0) return report('expired', { name, when }, { details: { expiresAt: when } });
      return report(
        'valid',
        { name, when, minutes: Math.round(left / 60) },
        { details: { expiresAt: when, secondsLeft: left } },
      );
    });
  },
});
