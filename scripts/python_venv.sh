# Sourced by the setup_python_*.sh scripts: ensure_venv creates a virtual
# environment over Debian's interpreter (/usr/bin/python3, with
# --system-site-packages for its torch and numpy) and installs pinned packages
# from PyPI into it. A lock file next to the environment serialises concurrent
# runs; when the environment is already ready nothing is installed or printed.
#
#   ensure_venv VENV PACKAGE VERSION READY_FUNCTION PIN...
#
# READY_FUNCTION (a shell function of the caller) succeeds once PACKAGE
# VERSION is importable from VENV; PIN... are the pip requirements to install.
# Returns non-zero, naming the calling script, when the packages still cannot
# be imported after the install (or pip fails: no network).

ensure_venv() {
  local venv=$1 package=$2 version=$3 ready=$4
  shift 4
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
  if "$ready"; then return 0; fi
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
  "$ready" || { echo "$(basename "$0" .sh): $package still not importable from $venv" >&2; return 1; }
  echo "$package $version ready in $venv"
}
