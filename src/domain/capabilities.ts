// Linux capability numbers (include/uapi/linux/capability.h) decoded to names.
const NAMES = [
  'chown',
  'dac_override',
  'dac_read_search',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'linux_immutable',
  'net_bind_service',
  'net_broadcast',
  'net_admin',
  'net_raw',
  'ipc_lock',
  'ipc_owner',
  'sys_module',
  'sys_rawio',
  'sys_chroot',
  'sys_ptrace',
  'sys_pacct',
  'sys_admin',
  'sys_boot',
  'sys_nice',
  'sys_resource',
  'sys_time',
  'sys_tty_config',
  'mknod',
  'lease',
  'audit_write',
  'audit_control',
  'setfcap',
  'mac_override',
  'mac_admin',
  'syslog',
  'wake_alarm',
  'block_suspend',
  'audit_read',
  'perfmon',
  'bpf',
  'checkpoint_restore',
] as const;

/** Capabilities that let a process escape or reconfigure its container or node. */
export const DANGEROUS_CAPABILITIES = new Set([
  'sys_admin',
  'sys_module',
  'sys_ptrace',
  'sys_rawio',
  'net_admin',
  'dac_read_search',
  'bpf',
  'perfmon',
  'sys_boot',
  'mac_admin',
  'mac_override',
  'syslog',
  'sys_time',
]);

export function decodeCapabilities(mask: bigint): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    const name = NAMES[bit];
    if ((mask >> BigInt(bit)) & 1n) out.push(`CAP_${name ? name.toUpperCase() : bit}`);
  }
  return out;
}
