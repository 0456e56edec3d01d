#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are missing (`make deps` calls this).
# As root it runs apt-get; otherwise it names the command to run. When another apt or dpkg
# process holds the dpkg lock, apt-get waits up to a minute for it, then this says so plainly
# (apt's own "Error 100" says nothing of why).
set -u
missing=""
# Installed means "install ok installed" (dpkg -s also succeeds for removed packages whose
# configuration files remain).
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing packages:$missing (run: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "installing:$missing"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@" >/dev/null 2>"$log" && return 0
  if grep -qE 'Could not get lock|lock-frontend|is held by process|Unable to acquire the dpkg' "$log"; then
    holder=$(grep -m1 -oE 'held by process [0-9]+[^)]*\)?' "$log")
    echo "error: another apt/dpkg process holds the dpkg lock${holder:+ ($holder)}; wait for it to finish, then run this again (or: apt-get install$missing)" >&2
  else
    cat "$log" >&2
    echo "error: apt-get $1 failed; the packages needed are:$missing" >&2
  fi
  exit 1
}
# A failed update (an unreachable third-party source) need not stop the install: say so, go on.
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 update -qq >/dev/null 2>"$log" \
  || { grep -qE 'Could not get lock|lock-frontend|is held by process' "$log" && apt_get update -qq; \
       echo "warning: apt-get update failed; installing from the package lists there are" >&2; }
apt_get install -y -qq $missing
