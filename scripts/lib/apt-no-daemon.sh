# Sourced by the install-*.sh scripts: installs one Debian package whose maintainer scripts would start
# a daemon, and leaves no daemon running and none enabled at boot (the tests start their own processes
# on free ports; nothing here depends on the package's service).
#
#   apt_install_no_daemon TAG PACKAGE PROCESS SERVICE
#     TAG      the calling script's name, for messages (install-pgbouncer)
#     PACKAGE  the Debian package (pgbouncer)
#     PROCESS  the daemon's process name, for pgrep -x (pgbouncer)
#     SERVICE  the systemd unit / init script name (pgbouncer)
# Needs root, or passwordless sudo; without either it stops at once with the command to run.

apt_install_no_daemon() {
  local tag="$1" package="$2" process="$3" service="$4"
  local -a sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "[$tag] ERROR: installing Debian's $package package needs root; run: sudo bash scripts/$tag.sh" >&2
      exit 1
    fi
  fi

  # The package's maintainer scripts start the daemon (invoke-rc.d / deb-systemd-invoke) unless a
  # policy-rc.d forbids it: forbid it for this install, keeping an existing policy-rc.d as it is.
  local created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# %s.sh: no service starts during this install\nexit 101\n' "$tag" \
      | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 0755 /usr/sbin/policy-rc.d
    created_policy=1
    # shellcheck disable=SC2064  # expand now: the trap must remove what this call created
    trap "${sudo[*]} rm -f /usr/sbin/policy-rc.d || true" EXIT
  fi

  # pids of running daemons (pgrep prints nothing and fails when there are none)
  local before after started
  before="$(pgrep -x "$process" 2>/dev/null | sort || true)"
  echo "[$tag] installing Debian's $package package"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" </dev/null >/dev/null
  if (( created_policy )); then
    "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi

  # The package was not installed before, so its service is ours to turn off, now and at boot.
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    "${sudo[@]}" systemctl disable --now "$service.service" >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null 2>&1; then
    "${sudo[@]}" update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi

  # Belt and braces: if the install started a daemon anyway, stop it (only the new pids) and wait.
  after="$(pgrep -x "$process" 2>/dev/null | sort || true)"
  started="$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)"
  if [[ -n "$started" ]]; then
    echo "[$tag] the package install started $process (pid(s) $(echo "$started" | tr '\n' ' ')); stopping it"
    local pid still
    for pid in $started; do "${sudo[@]}" kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
      still=""
      for pid in $started; do kill -0 "$pid" 2>/dev/null && still=1; done
      [[ -z "$still" ]] && break
      sleep 0.1
    done
  fi
}
