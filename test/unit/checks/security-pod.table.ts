// The in-pod security checks (the cluster ones, pod-security and agents, have their own table).
import capabilities from '../../../checks/security/capabilities.ts';
import noNewPrivileges from '../../../checks/security/no-new-privileges.ts';
import nonRoot from '../../../checks/security/non-root.ts';
import preload from '../../../checks/security/preload.ts';
import seccomp from '../../../checks/security/seccomp.ts';
import { decodeCapabilities } from '../../../src/domain/capabilities.ts';
import type { IdentityFact } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { all, details, message, pod, remediation } from './fixtures-pod.ts';
import { healthyPodFacts } from './fixtures.ts';

const withIdentity = (over: Partial<IdentityFact>) =>
  pod((f) => {
    f.identity = { ...f.identity, ...over };
  });

/** The identity for a CapEff mask, decoded as the probe parser does. */
const withCapEff = (hex: string) => withIdentity({ capEff: hex, capabilities: decodeCapabilities(BigInt(`0x${hex}`)) });

/** sudo and restricteduser in the image: RESTRICTED script mode. */
const restrictedMode = (noNewPrivs: boolean) =>
  pod((f) => {
    f.runtimes.sudo = true;
    f.runtimes.restrictedUser = true;
    f.runtimes.restrictedGroup = true;
    f.identity.noNewPrivs = noNewPrivs;
  });

export const tables = [
  table(nonRoot, {
    valid: [
      {
        name: 'UID 65534, as the guides promise',
        facts: healthyPodFacts(),
        codes: ['promised-uid'],
        expect: message('runs as non-root uid 65534 (agentuser), gid 65534, as the guides promise'),
      },
      {
        name: 'another non-root UID, no user name, gid unknown',
        facts: withIdentity({ uid: 1000, gid: null, user: undefined }),
        codes: ['non-root'],
        expect: message('runs as non-root uid 1000, gid unknown'),
      },
      { name: 'UID unreadable', facts: withIdentity({ uid: null }), codes: ['unknown'] },
    ],
    invalid: [
      {
        name: 'runs as root',
        facts: withIdentity({ uid: 0, gid: 0, user: 'root' }),
        codes: ['root'],
        expect: all(
          message('runs as root (uid 0 (root), gid 0); the guides promise UID 65534'),
          details({ uid: 0, gid: 0 }),
        ),
      },
    ],
  }),
  table(noNewPrivileges, {
    valid: [
      { name: 'no_new_privs set, no RESTRICTED mode', facts: healthyPodFacts(), codes: ['set'] },
      { name: 'NoNewPrivs unreadable', facts: withIdentity({ noNewPrivs: null }), codes: ['unknown'] },
    ],
    invalid: [
      {
        name: 'escalation allowed',
        facts: withIdentity({ noNewPrivs: false }),
        codes: ['escalation-allowed'],
        expect: details({ noNewPrivs: false }),
      },
      {
        name: 'no_new_privs set while RESTRICTED mode relies on sudo',
        facts: restrictedMode(true),
        codes: ['breaks-restricted-mode'],
        expect: all(message(/sudo cannot gain privileges/), remediation(/RESTRICTED script mode/)),
      },
      {
        name: 'RESTRICTED mode with escalation allowed still warns about escalation',
        facts: restrictedMode(false),
        codes: ['escalation-allowed'],
      },
    ],
  }),
  table(seccomp, {
    valid: [
      {
        name: 'filter (RuntimeDefault)',
        facts: healthyPodFacts(),
        codes: ['applied'],
        expect: all(message('seccomp mode filter'), details({ seccomp: 'filter' })),
      },
      {
        name: 'strict',
        facts: withIdentity({ seccomp: 1 }),
        codes: ['applied'],
        expect: message('seccomp mode strict'),
      },
      { name: 'mode unreadable', facts: withIdentity({ seccomp: null }), codes: ['unknown'] },
    ],
    invalid: [
      {
        name: 'seccomp disabled (Unconfined)',
        facts: withIdentity({ seccomp: 0 }),
        codes: ['disabled'],
        expect: details({ seccomp: 'disabled' }),
      },
    ],
  }),
  table(capabilities, {
    valid: [
      {
        name: 'all dropped',
        facts: healthyPodFacts(),
        codes: ['none'],
        expect: details({ capEff: '0000000000000000', capabilities: [] }),
      },
      {
        name: "the container runtime's default set is information",
        facts: withCapEff('00000000a80425fb'),
        codes: ['some'],
        expect: all(
          message(
            /^14 capabilities are effective \(CAP_CHOWN, CAP_DAC_OVERRIDE, .*CAP_SETFCAP\); the guides promise all dropped$/,
          ),
          remediation(/drop: \["ALL"\]/),
        ),
      },
      {
        name: 'capabilities unreadable',
        facts: withIdentity({ capEff: null, capabilities: null }),
        codes: ['unknown'],
      },
      {
        name: 'nothing effective, but no CapBnd line (an older snapshot): not claimed as all dropped',
        facts: withIdentity({ capEff: '0000000000000000', capabilities: [], capBnd: null, boundingCapabilities: null }),
        codes: ['bounding-unknown'],
      },
      {
        name: "a non-root process under the chart's empty securityContext: nothing effective, the default bounding set kept",
        facts: withIdentity({
          capEff: '0000000000000000',
          capabilities: [],
          capBnd: '00000000a80425fb',
          boundingCapabilities: decodeCapabilities(0xa80425fbn),
        }),
        codes: ['not-dropped'],
        expect: all(
          message(
            /^no effective capabilities \(the process is not root\), but the bounding set keeps 14 \(CAP_CHOWN, /,
          ),
          remediation(/drop: \["ALL"\]/),
        ),
      },
    ],
    invalid: [
      {
        name: 'SYS_ADMIN effective',
        facts: withCapEff('0000000000200000'),
        codes: ['dangerous'],
        expect: all(
          message('dangerous capabilities are effective: CAP_SYS_ADMIN'),
          details({ capEff: '0000000000200000' }),
        ),
      },
      {
        name: 'NET_ADMIN and NET_RAW among the defaults',
        facts: withCapEff('00000000a80435fb'),
        codes: ['dangerous'],
        expect: message('dangerous capabilities are effective: CAP_NET_ADMIN'),
      },
    ],
  }),
  table(preload, {
    valid: [{ name: 'no /etc/ld.so.preload', facts: healthyPodFacts(), codes: ['none'] }],
    invalid: [
      {
        name: 'an agent library preloaded into every process',
        facts: pod((f) => {
          f.runtimes.preload = ['/opt/agent/lib/libinject.so'];
        }),
        codes: ['preloaded'],
        expect: all(
          message('libraries preloaded into every process: /opt/agent/lib/libinject.so'),
          details({ preload: ['/opt/agent/lib/libinject.so'] }),
        ),
      },
    ],
  }),
];
