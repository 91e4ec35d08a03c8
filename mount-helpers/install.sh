#!/bin/sh
# Installs glacierfs, glacier-emulator, the mount(8) helper and the systemd unit.
set -eu

usage() {
    cat <<'EOF'
Usage: mount-helpers/install.sh [--prefix DIR] [--destdir DIR] [--deps] [--no-build] [--from DIR]

Builds glacierfs (swift build -c release) and installs:
  PREFIX/bin/glacierfs, PREFIX/bin/glacier-emulator
  /sbin/mount.glacierfs                    mount -t glacierfs, and /etc/fstab lines
  /etc/systemd/system/glacierfs@.service   systemctl enable --now glacierfs@mnt-glacier
Running it again is safe: unchanged files are left alone.

Options:
  --prefix DIR    where bin/ goes (default /usr/local)
  --destdir DIR   a staging root prepended to every path, for packaging (nothing outside
                  it is touched, and systemd is not reloaded)
  --deps          first install the build and runtime packages (mount-helpers/install-deps.sh)
  --no-build      install binaries that are already built (from .build/release unless --from)
  --from DIR      the directory holding the built glacierfs and glacier-emulator
                  (implies --no-build)
  -h, --help      show this help
EOF
}

die() {
    printf 'install.sh: %s\n' "$1" >&2
    exit 1
}

need_arg() { # option, number of remaining words
    [ "$2" -ge 2 ] || die "$1 needs a directory, e.g. $1 /usr/local (see --help)"
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
prefix=/usr/local
destdir=''
deps=0
build=1
from=''
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) need_arg "$1" $#; prefix=$2; shift ;;
        --prefix=*) prefix=${1#*=} ;;
        --destdir) need_arg "$1" $#; destdir=$2; shift ;;
        --destdir=*) destdir=${1#*=} ;;
        --from) need_arg "$1" $#; from=$2; build=0; shift ;;
        --from=*) from=${1#*=}; build=0 ;;
        --deps) deps=1 ;;
        --no-build) build=0 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done
case $prefix in /*) ;; *) die "--prefix must be an absolute path, e.g. --prefix /usr/local" ;; esac
prefix=${prefix%/}
if [ -n "$destdir" ]; then
    mkdir -p "$destdir" || die "cannot create the staging directory $destdir"
    destdir=$(cd "$destdir" && pwd)
    [ "$destdir" != / ] || destdir=''
fi
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    die "installing into / needs root: run it with sudo, or stage it with --destdir DIR"
fi

if [ "$deps" -eq 1 ]; then
    echo "== installing dependencies (mount-helpers/install-deps.sh)"
    "$here/install-deps.sh"
fi

if [ "$build" -eq 1 ]; then
    command -v swift >/dev/null 2>&1 ||
        die "swift is not on PATH: install the Swift 6 toolchain (or run with --deps), or pass --from DIR with built binaries"
    echo "== building (swift build -c release --static-swift-stdlib; the first build takes several minutes)"
    (cd "$repo" && swift build -c release --static-swift-stdlib) ||
        die "the build failed (see above); fix it, or pass --from DIR with built binaries"
    from=$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)
elif [ -z "$from" ]; then
    from=$repo/.build/release
fi
for program in glacierfs glacier-emulator; do
    if [ ! -f "$from/$program" ] || [ ! -x "$from/$program" ]; then
        die "$from/$program is missing: build it (swift build -c release) or point --from at the directory that has it"
    fi
done

# Installs $1 as $2 with mode $3, and says whether it changed.
put() {
    target=$destdir$2
    if [ -f "$target" ] && cmp -s "$1" "$target"; then
        chmod "$3" "$target"
        echo "unchanged  $target"
        return
    fi
    mkdir -p "$(dirname "$target")"
    # Copy then rename, so a running glacierfs keeps its old file and never sees half of the new one.
    cp "$1" "$target.new.$$"
    chmod "$3" "$target.new.$$"
    mv -f "$target.new.$$" "$target"
    echo "installed  $target"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

put "$from/glacierfs" "$prefix/bin/glacierfs" 0755
put "$from/glacier-emulator" "$prefix/bin/glacier-emulator" 0755

# The helper and the unit name the binary's installed path.
sed "s|^default_bindir=.*|default_bindir=$prefix/bin|" "$here/mount.glacierfs" >"$work/mount.glacierfs"
put "$work/mount.glacierfs" /sbin/mount.glacierfs 0755
sed "s|/usr/local/bin/glacierfs|$prefix/bin/glacierfs|g" "$here/glacierfs@.service" >"$work/glacierfs@.service"
put "$work/glacierfs@.service" /etc/systemd/system/glacierfs@.service 0644

if [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload && echo "reloaded   systemd units"
fi

cat <<EOF

Done. Try it with no AWS account:   glacierfs demo
Mount your vaults:                  mount -t glacierfs all /mnt/glacier -o region=eu-west-1
At boot, on first access (fstab):   all /mnt/glacier glacierfs noauto,_netdev,x-systemd.automount,region=eu-west-1 0 0
As a service:                       systemctl enable --now glacierfs@\$(systemd-escape --path /mnt/glacier)
EOF
