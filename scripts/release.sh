#!/usr/bin/env bash
# Builds the release tarball: chatserver, chatclient and chatbench linked with the Swift runtime
# inside (--static-swift-stdlib: no Swift on the target machine), an example configuration
# (packaging/chatserver.json), the systemd unit (packaging/chatserver.service) and the docs, in
# dist/chat255-VERSION-linux-ARCH.tar.gz. Then checks the unpacked binaries on a Debian root
# without Swift (debootstrap, installed and built once under /var/tmp when missing; root only):
# chatserver starts, serves a client, and drains on SIGTERM.
#   scripts/release.sh [VERSION, default: git describe]     SKIP_CHECK=1 skips the check
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
arch=$(uname -m)
name="chat255-$version-linux-$arch"
scratch="$root/.build-release"
echo "release.sh: building $name (static Swift runtime)"
for product in chatserver chatclient chatbench; do
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product" >/dev/null
done
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)
stage="$root/dist/$name"
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/etc" "$stage/systemd" "$stage/docs"
for product in chatserver chatclient chatbench; do
    install -m 0755 "$bin/$product" "$stage/bin/$product"
    strip "$stage/bin/$product" 2>/dev/null || true
done
install -m 0644 packaging/chatserver.json "$stage/etc/chatserver.json"
install -m 0644 packaging/chatserver.service "$stage/systemd/chatserver.service"
install -m 0644 README.md "$stage/README.md"
install -m 0644 docs/*.md docs/grafana-dashboard.json "$stage/docs/"
tar -C "$root/dist" -czf "$root/dist/$name.tar.gz" "$name"
echo "release.sh: dist/$name.tar.gz ($(du -h "$root/dist/$name.tar.gz" | cut -f1))"
# No Swift runtime library may be needed at run time.
if ldd "$stage/bin/chatserver" | grep -q libswift; then
    echo "release.sh: chatserver still links a Swift runtime library:" >&2
    ldd "$stage/bin/chatserver" | grep libswift >&2
    exit 1
fi
[ -n "${SKIP_CHECK:-}" ] && exit 0

# The check: a Debian root without Swift, the tarball unpacked in it, chatserver run there.
[ "$(id -u)" -eq 0 ] || { echo "release.sh: the check needs root (debootstrap, chroot); SKIP_CHECK=1 skips it" >&2; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }
debian=/var/tmp/chat255-debian-root
if [ ! -x "$debian/bin/sh" ]; then
    echo "release.sh: making a Debian root in $debian (once)"
    debootstrap --variant=minbase bookworm "$debian" >/dev/null
fi
[ ! -e "$debian/usr/bin/swift" ] || { echo "release.sh: the check root has Swift in it" >&2; exit 1; }
rm -rf "$debian/opt/$name"
tar -C "$debian/opt" -xzf "$root/dist/$name.tar.gz"
log=$(mktemp)
# The binaries read their arguments from /proc/self/cmdline (a statically linked Swift runtime
# does): the root needs /proc, as every real system has.
mountpoint -q "$debian/proc" || mount -t proc proc "$debian/proc"
trap 'rm -f "$log"; umount "$debian/proc" 2>/dev/null || true' EXIT
printed=$(chroot "$debian" "/opt/$name/bin/chatserver" --config "/opt/$name/etc/chatserver.json" --print-config)
grep -q '"max-clients-per-ip" : 64' <<<"$printed" || { echo "release.sh: --print-config did not read the example configuration" >&2; exit 1; }
chroot "$debian" "/opt/$name/bin/chatserver" --host 127.0.0.1 --port 0 --log-level info 2>"$log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(sed -nE 's/.*listening on [^ ]*:([0-9]+).*/\1/p' "$log" | head -1)
[ -n "$port" ] || { cat "$log" >&2; kill "$server"; echo "release.sh: chatserver did not start in the Debian root" >&2; exit 1; }
# A client of the same tarball, in the same root, says hello to itself through the server.
printf '(ALL) hello\n@Quit\n' | timeout 20 chroot "$debian" "/opt/$name/bin/chatclient" check --port "$port" >/dev/null
kill -TERM "$server"
wait "$server"
grep -q "client joined" "$log" || { cat "$log" >&2; echo "release.sh: the client was not served" >&2; exit 1; }
echo "release.sh: checked in a Debian root without Swift: chatserver served a chatclient and drained on SIGTERM (exit 0)"
