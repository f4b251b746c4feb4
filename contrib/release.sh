#!/usr/bin/env bash
# Release binaries: static builds of flaxfile (CGO_ENABLED=0) for linux,
# darwin and windows on amd64 and arm64, each stamped with the version,
# the commit and its date (`flaxfile version` prints them), and a
# SHA256SUMS file beside them.
#
#   contrib/release.sh [VERSION [OUTDIR]]
#
# VERSION defaults to `git describe --tags --always --dirty`, OUTDIR to
# dist/. TARGETS (e.g. "linux/amd64") builds fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
out=${2:-dist}
targets=${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
date=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
case $version in *[!A-Za-z0-9._+-]*) echo "release: version $version: letters, digits and ._+- only" >&2; exit 2 ;; esac
mkdir -p "$out"
names=()
for target in $targets; do
	os=${target%/*}
	arch=${target#*/}
	name="flaxfile-$version-$os-$arch"
	[ "$os" = windows ] && name+=.exe
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
		-o "$out/$name" ./cmd/flaxfile
	names+=("$name")
	echo "built $out/$name"
done
(cd "$out" && sha256sum "${names[@]}" >SHA256SUMS)
echo "wrote $out/SHA256SUMS"
