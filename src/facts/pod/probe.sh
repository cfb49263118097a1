# runner-doctor probe (POSIX sh). Collects raw facts and prints them as marker lines; it judges nothing.
# Runs as `sh -c <this script>` in a runner pod, or on the doctor's own host for `check --local`.
# Only what a minimal image has: sh, cat, head, tr, sed, cut, df, id; python3/java/base64/timeout when present.
# Secrets never leave: env values are printed only for an allow-list of non-secret names, and a projected
# token is reduced to its `exp` claim here, in the pod.
# Set by the caller, before this text: RD_NONCE (marker nonce), RD_ROOT (path prefix for every file read).
set +e
N="${RD_NONCE:-x}"
R="${RD_ROOT:-}"
umask 077

NL='
'
CR=$(printf '\r')
# A value on one line and short enough (512 characters are at most 2048 bytes) is printed by the shell
# itself; any other is folded onto one line and cut at 2048 bytes.
kv() {
  k="$1"; shift; v="$*"
  case "$v" in
    *"$NL"*|*"$CR"*) printf '@@RDP:%s:kv:%s=' "$N" "$k"; printf '%s' "$v" | tr '\n\r' '  ' | head -c 2048; printf '\n' ;;
    *) if [ "${#v}" -le 512 ]; then printf '@@RDP:%s:kv:%s=%s\n' "$N" "$k" "$v"
       else printf '@@RDP:%s:kv:%s=' "$N" "$k"; printf '%s' "$v" | head -c 2048; printf '\n'; fi ;;
  esac
}
dump() {
  if [ -r "$R$1" ] && [ -f "$R$1" ]; then
    printf '@@RDP:%s:file:%s\n' "$N" "$1"
    case "$1" in
      # cgroupfs files are a line or a few, hold no NUL and read fine in pieces: read by the shell itself,
      # without a process (a fork costs more than a short read; there are dozens of them). Not /proc: its
      # sysctl files answer only a read from offset 0, and the shell's `read` takes a byte at a time,
      # which is slower than head for files of kilobytes (mountinfo, status).
      /sys/*)
        n=0
        while IFS= read -r l || [ -n "$l" ]; do
          printf '%s\n' "$l"; n=$((n + ${#l} + 1)); [ "$n" -ge 32768 ] && break
        done 2>/dev/null < "$R$1" ;;
      # Kernel files hold no NUL: one process each instead of a pipeline of two.
      /proc/*) head -c 32768 "$R$1" 2>/dev/null ;;
      *) head -c 32768 "$R$1" 2>/dev/null | tr -d '\000' ;;
    esac
    printf '\n'
  fi
}
have() { command -v "$1" >/dev/null 2>&1; }
TO=""
if have timeout && timeout 5 true >/dev/null 2>&1; then TO="timeout 20"; fi

printf '@@RDP:%s:begin:1\n' "$N"
kv probe.shell "$(readlink "$R/proc/$$/exe" 2>/dev/null || echo sh)"

# --- identity ---------------------------------------------------------------------------------------
U=$(id -un 2>/dev/null)
kv id.user "$U"
kv id.groups "$(id -Gn 2>/dev/null)"
dump /proc/self/status
dump /proc/self/limits
dump /proc/self/mountinfo
dump /proc/sys/vm/overcommit_memory
dump /proc/sys/kernel/pid_max
dump /etc/ld.so.preload

# --- java processes already running ------------------------------------------------------------------
# JVM flags of running java processes: only -X options, so no -Dsecret=... ever leaves.
for f in $(grep -l java "$R"/proc/[0-9]*/cmdline 2>/dev/null | head -n 20); do
  p="${f%/cmdline}"
  [ "${p##*/}" = "$$" ] && continue
  c=$( (tr '\000' ' ' < "$f") 2>/dev/null | head -c 8192)
  # The program itself must be java (a shell whose script mentions java, like this probe, is not).
  case "${c%% *}" in
    java|*/java)
      case " $c " in *" -version "*) continue;; esac
      set -f; fl=""; for t in $c; do case "$t" in -X*) fl="$fl $t";; esac; done; set +f
      kv "jvm.process:${p##*/}" "$fl";;
  esac
done
for v in JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS JAVA_OPTS; do
  eval "c=\${$v-}"
  set -f; fl=""; for t in $c; do case "$t" in -X*) fl="$fl $t";; esac; done; set +f
  [ -n "$c" ] && kv "jvm.env:$v" "$fl"
done

# --- cgroups: v2 unified (leaf and ancestors, for the effective limit) and v1 controllers -------------
dump /proc/self/cgroup
CG=""
[ -r "$R/proc/self/cgroup" ] && while IFS= read -r l || [ -n "$l" ]; do case "$l" in 0::*) CG="${l#0::}";; esac; done 2>/dev/null < "$R/proc/self/cgroup"
if [ -r "$R/sys/fs/cgroup/cgroup.controllers" ]; then
  kv cgroup.version 2
  p="$CG"; i=0
  while [ $i -lt 10 ]; do
    for f in memory.max memory.current memory.events pids.max pids.current cpu.max; do dump "/sys/fs/cgroup${p%/}/$f"; done
    [ -z "$p" ] || [ "$p" = "/" ] && break
    p="${p%/*}"; i=$((i + 1))
  done
elif [ -d "$R/sys/fs/cgroup/memory" ] || [ -d "$R/sys/fs/cgroup/cpu" ] || [ -d "$R/sys/fs/cgroup/pids" ]; then
  kv cgroup.version 1
  for c in memory cpu pids cpu,cpuacct; do
    sub=$(sed -n "s/^[0-9]*:\\([^:]*,\\)\\{0,1\\}$c\\(,[^:]*\\)\\{0,1\\}:\\(.*\\)/\\3/p" "$R/proc/self/cgroup" 2>/dev/null | head -n 1)
    for base in "/sys/fs/cgroup/$c$sub" "/sys/fs/cgroup/$c"; do
      for f in memory.limit_in_bytes memory.usage_in_bytes memory.oom_control memory.failcnt cpu.cfs_quota_us cpu.cfs_period_us pids.max pids.current; do dump "${base%/}/$f"; done
    done
  done
else
  kv cgroup.version none
fi

# --- runtimes, started now ---------------------------------------------------------------------------
# python3 (inline and from a file) and `java -version` start here, in the background, and are reported
# at the end: a JVM's start (0.3-0.5 s) then overlaps the reads below instead of adding to them. They
# start after the cgroup reads, so the memory and pids in use are the container's, not theirs. Their
# output goes to files in the first writable temp directory (removed on any exit); with none, python3
# has no file to run and java runs where it is reported. Their stdio is never the probe's own, so a
# probe that is stopped is not kept open by them.
PY=$(command -v python3 2>/dev/null)
PYI='import sys; print("rd-inline-ok Python", sys.version.split()[0])'
JV=$(command -v java 2>/dev/null)
T=""
for d in /tmp "${TMPDIR:-/tmp}"; do
  if printf 'print("rd-file-ok")\n' > "$R$d/rd-probe-$$.py" 2>/dev/null; then T="$R$d/rd-probe-$$"; TD="$d"; break; fi
done
[ -n "$T" ] && trap 'rm -f "$T.py" "$T.pi" "$T.pir" "$T.pf" "$T.pfr" "$T.jv"' EXIT && trap 'exit 129' HUP && trap 'exit 130' INT && trap 'exit 143' TERM
if [ -n "$PY" ] && [ -n "$T" ]; then
  ( $TO python3 -c "$PYI" > "$T.pi" 2>&1; echo $? > "$T.pir" ) < /dev/null > /dev/null 2>&1 &
  ( $TO python3 "$T.py" > "$T.pf" 2>&1; echo $? > "$T.pfr" ) < /dev/null > /dev/null 2>&1 &
fi
[ -n "$JV" ] && [ -n "$T" ] && { $TO java -version < /dev/null > "$T.jv" 2>&1 & }

# --- filesystem ---------------------------------------------------------------------------------------
WD="${MTLN_EMERALD_WORKING_DIR:-/home}/${U:-${USER:-agentuser}}"
kv fs.workdir "$WD"
for d in /tmp /dev/shm "$WD" /; do
  if [ ! -d "$R$d" ]; then kv "fs.write:$d" missing
  # `command` keeps a failed redirection from ending the shell: no subshell needed. Removed below, at once.
  elif { command : > "$R$d/.rd-probe-$$"; } 2>/dev/null; then kv "fs.write:$d" ok
  else kv "fs.write:$d" denied; fi
  out=$(df -Pk "$R$d" 2>/dev/null); kv "fs.df:$d" "${out##*"$NL"}"
done
rm -f "$R/tmp/.rd-probe-$$" "$R/dev/shm/.rd-probe-$$" "$R$WD/.rd-probe-$$" "$R/.rd-probe-$$" 2>/dev/null
if printf '#!/bin/sh\nexit 0\n' > "$R/tmp/rd-probe-$$.sh" 2>/dev/null; then
  chmod 700 "$R/tmp/rd-probe-$$.sh" 2>/dev/null
  "$R/tmp/rd-probe-$$.sh" >/dev/null 2>&1; kv fs.exec:/tmp "$?"
  rm -f "$R/tmp/rd-probe-$$.sh"
fi
[ -e "$R/usr/bin/sudo" ] && kv sudo.path /usr/bin/sudo
if [ -r "$R/etc/passwd" ]; then
  if grep -q '^restricteduser:' "$R/etc/passwd" 2>/dev/null; then kv user.restricteduser yes; else kv user.restricteduser no; fi
fi
if [ -r "$R/etc/group" ]; then
  if grep -q '^restricteduser:' "$R/etc/group" 2>/dev/null; then kv group.restricteduser yes; else kv group.restricteduser no; fi
fi

# --- environment: names for everything relevant, values only for the non-secret allow-list -----------
allow=" ACCOUNT_ID AGENT_ID MATILLION_REGION CLOUD_PROVIDER MATILLION_ENV PROXY_HTTP PROXY_HTTPS PROXY_EXCLUDE PROXY_PROTOCOL_HTTP PROXY_PROTOCOL_HTTPS CUSTOM_CERT_LOCATION EXTENSION_LIBRARY_LOCATION EXTERNAL_DRIVER_LOCATION EXPORT_LOGS KUBERNETES_CLUSTER_DOMAIN DEFAULT_KEYVAULT AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_AUTHORITY_HOST DEFAULT_GCP_PROJECT MTLN_SCRIPT_RUNNER_HOST MTLN_EMERALD_WORKING_DIR AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AZURE_FEDERATED_TOKEN_FILE AWS_REGION AWS_DEFAULT_REGION AWS_STS_REGIONAL_ENDPOINTS HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy GOOGLE_APPLICATION_CREDENTIALS "
for n in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' | sort -u); do
  case "$n" in
    ACCOUNT_ID|AGENT_ID|MATILLION_*|MTLN_*|CLOUD_PROVIDER|PROXY_*|CUSTOM_CERT_LOCATION|EXTENSION_LIBRARY_LOCATION|EXTERNAL_DRIVER_LOCATION|EXPORT_LOGS|KUBERNETES_CLUSTER_DOMAIN|DEFAULT_*|OAUTH_*|AWS_*|AZURE_*|GOOGLE_*|GCP_*|HTTP_PROXY|HTTPS_PROXY|NO_PROXY|http_proxy|https_proxy|no_proxy|*SECRET*|*TOKEN*|*PASSWORD*|*KEY*) ;;
    *) continue;;
  esac
  eval "v=\${$n-}"
  ph=0; case "$v" in *'<'[A-Za-z]*'>'*) ph=1;; esac
  case "$allow" in *" $n "*) shown="$v";; *) shown="";; esac
  kv "env:$n" "${#v}|$ph|$shown"
done

# --- projected workload-identity tokens: existence, readability and the exp claim only ----------------
jwt_exp() {
  p=$(cut -d. -f2 < "$1" 2>/dev/null | tr '_-' '/+' | tr -d '\n\r ')
  case $(( ${#p} % 4 )) in 2) p="$p==";; 3) p="$p=";; esac
  if have base64; then j=$(printf '%s' "$p" | base64 -d 2>/dev/null)
  elif [ -n "$PY" ]; then j=$(printf '%s' "$p" | python3 -c 'import base64,sys;sys.stdout.write(base64.b64decode(sys.stdin.read()).decode("utf-8","replace"))' 2>/dev/null)
  else j=""; fi
  printf '%s' "$j" | tr ',{}' '\n\n\n' | sed -n 's/^[ ]*"exp"[ ]*:[ ]*\([0-9][0-9]*\).*/\1/p' | head -n 1
}
for v in AWS_WEB_IDENTITY_TOKEN_FILE AZURE_FEDERATED_TOKEN_FILE AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; do
  eval "f=\${$v-}"
  [ -n "$f" ] || continue
  if [ ! -e "$R$f" ]; then kv "token:$v" "missing|"
  elif [ ! -r "$R$f" ]; then kv "token:$v" "unreadable|"
  else kv "token:$v" "ok|$(jwt_exp "$R$f")"; fi
done
# --- runtimes, reported ------------------------------------------------------------------------------
wait
kv python.path "$PY"
if [ -n "$PY" ]; then
  if [ -n "$T" ]; then
    rc=""; read -r rc 2>/dev/null < "$T.pir"; kv python.inline.rc "$rc"; kv python.inline.out "$(head -c 300 "$T.pi")"
    kv python.file.dir "$TD"
    rc=""; read -r rc 2>/dev/null < "$T.pfr"; kv python.file.rc "$rc"; kv python.file.out "$(head -c 300 "$T.pf")"
  else
    out=$($TO python3 -c "$PYI" 2>&1); rc=$?
    kv python.inline.rc "$rc"; kv python.inline.out "$(printf '%s' "$out" | head -c 300)"
    kv python.file.rc unwritable
  fi
fi
kv java.path "$JV"
if [ -n "$JV" ]; then
  if [ -n "$T" ]; then out=$(head -c 65536 "$T.jv"); else out=$($TO java -version 2>&1); fi
  kv java.version "$(printf '%s\n' "$out" | sed -n '/version "/{p;q;}')"
fi
printf '@@RDP:%s:end\n' "$N"
