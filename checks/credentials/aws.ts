import { defineCheck, fail, info, pass, skip, warn } from '../../src/engine/define.ts';
import { IRSA_ARN, envValue, isSet, providerApplies } from '../../src/probe/env.ts';

export default defineCheck({
  id: 'credentials.aws',
  title: 'AWS credentials: IRSA role and token file, or static keys',
  category: 'credentials',
  scope: 'pod',
  severity: 'fail',
  tags: ['aws', 'identity'],
  docs: {
    what: 'Looks for IRSA (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, which must exist and be readable) or static keys (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY). Values of keys are never read out.',
    why: 'Without credentials the runner cannot read Secrets Manager, S3 or CloudWatch; static keys work but do not rotate.',
    fix: 'Annotate the ServiceAccount with eks.amazonaws.com/role-arn (the chart\'s service account role ARN value) so EKS injects AWS_ROLE_ARN and the token file; the role\'s trust policy must name the matillion-runner-sa ServiceAccount.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    if (!providerApplies(p, 'AWS', ['AWS_ROLE_ARN', 'AWS_ACCESS_KEY_ID', 'AWS_WEB_IDENTITY_TOKEN_FILE'])) return skip('not applicable: CLOUD_PROVIDER is not AWS');
    const irsa = isSet(p, 'AWS_ROLE_ARN') || isSet(p, 'AWS_WEB_IDENTITY_TOKEN_FILE');
    const staticKeys = isSet(p, 'AWS_ACCESS_KEY_ID') && isSet(p, 'AWS_SECRET_ACCESS_KEY');
    if (irsa) {
      const arn = envValue(p, 'AWS_ROLE_ARN') ?? '';
      if (p.env.get('AWS_ROLE_ARN')?.placeholder) return fail(`AWS_ROLE_ARN is an unfilled placeholder (${arn})`, { remediation: 'set the service account role ARN Helm value to the IAM role for the runner and run helm upgrade' });
      if (!isSet(p, 'AWS_ROLE_ARN')) return fail('AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not');
      const token = p.tokens.AWS_WEB_IDENTITY_TOKEN_FILE;
      if (!isSet(p, 'AWS_WEB_IDENTITY_TOKEN_FILE') || !token) return fail('AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not: the IRSA webhook did not inject the token', { remediation: 'check that the EKS pod identity webhook is running and the ServiceAccount carries eks.amazonaws.com/role-arn; restart the pods after annotating' });
      if (token.state !== 'ok') return fail(`the IRSA token file is ${token.state}`, { details: { tokenFile: envValue(p, 'AWS_WEB_IDENTITY_TOKEN_FILE') }, remediation: 'the projected token volume must be mounted and readable by the runner user (fsGroup); restart the pod after fixing the ServiceAccount annotation' });
      if (!IRSA_ARN.test(arn)) return warn(`AWS_ROLE_ARN "${arn}" does not look like arn:aws:iam::<account>:role/<name>`, { details: { roleArn: arn } });
      return pass(`IRSA: role ${arn}, token file readable`, { details: { roleArn: arn, tokenFile: envValue(p, 'AWS_WEB_IDENTITY_TOKEN_FILE') } });
    }
    if (staticKeys) return info('static AWS access keys are in the environment: they work, but do not rotate; IRSA is recommended', { remediation: 'move to IRSA: annotate matillion-runner-sa with eks.amazonaws.com/role-arn and remove the static keys Secret' });
    if (isSet(p, 'AWS_ACCESS_KEY_ID')) return fail('AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY');
    return fail('no AWS credentials: neither IRSA (AWS_ROLE_ARN + token file) nor static keys');
  },
});
