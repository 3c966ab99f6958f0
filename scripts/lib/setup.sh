# Shared by scripts/run and scripts/test: system packages, virtual environment, install.
# Sourced, not run. Works on a fresh Debian/Ubuntu machine as root or with sudo.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt_get ARGS...: apt-get, quiet when it works; when it fails, the end of what it said
# (the real error, not only "dpkg returned an error code") and where the whole log is.
apt_get() {
  local log status=0
  log=$(mktemp "${TMPDIR:-/tmp}/yuanjiao-apt.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1 || status=$?
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1 || status=$?
  fi
  if [ "$status" != 0 ]; then
    echo "apt-get $* 失败 / failed (exit $status); the last lines of $log:" >&2
    tail -n 40 "$log" >&2
    return "$status"
  fi
  rm -f "$log"
}

apt_install() {
  local packages=("$@")
  if [ "$(id -u)" = 0 ]; then
    say "安装系统软件包 / installing: ${packages[*]}"
  elif command -v sudo >/dev/null 2>&1; then
    say "安装系统软件包（需要 sudo 密码）/ installing with sudo: ${packages[*]}"
    sudo -v  # asks for the password here, not behind the captured output
  else
    echo "缺少系统软件包：${packages[*]}。请以 root 身份运行：apt-get install ${packages[*]}" >&2
    echo "Missing system packages: ${packages[*]}. As root, run: apt-get install ${packages[*]}" >&2
    exit 1
  fi
  apt_get update || return
  apt_get install -y "${packages[@]}"
}

# need_commands "cmd:package" ... and need_packages PACKAGE ... note what is missing (a
# command not on PATH; a Debian package not installed, for libraries, which have no
# command); install_needed installs it all with one apt-get.
NEEDED=()
need_commands() {
  local pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || NEEDED+=("${pair#*:}")
  done
}

need_packages() {
  local package
  command -v dpkg-query >/dev/null 2>&1 || return 0
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      NEEDED+=("$package")
  done
}

install_needed() {
  local packages=("${NEEDED[@]}")
  NEEDED=()
  [ ${#packages[@]} -gt 0 ] || return 0
  command -v apt-get >/dev/null 2>&1 || {
    echo "请先安装 / please install first: ${packages[*]}" >&2; exit 1; }
  apt_install $(printf '%s\n' "${packages[@]}" | sort -u)
}

ensure_commands() { need_commands "$@"; install_needed; }

pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  echo "需要 Python 3.11 或更新版本（Debian 12: apt-get install python3）。" >&2
  echo "Python 3.11 or newer is needed (Debian 12: apt-get install python3)." >&2
  exit 1
}

# ensure_venv EXTRAS: .venv with yuanjiao installed (editable), reinstalled when
# pyproject.toml changes.
ensure_venv() {
  local extras="$1" python stamp want
  ensure_commands python3:python3
  python=$(pick_python)
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3-venv
  fi
  if [ ! -x .venv/bin/python ]; then
    say "创建虚拟环境 / creating .venv"
    "$python" -m venv .venv
  fi
  stamp=.venv/.yuanjiao-installed
  want="$(sha256sum pyproject.toml | cut -c1-64) $extras"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "安装远教及依赖 / installing yuanjiao${extras}"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".${extras}"
    echo "$want" > "$stamp"
  fi
}
