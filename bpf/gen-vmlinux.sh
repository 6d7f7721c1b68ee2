#!/bin/sh
# Generates vmlinux.h (every kernel type, for CO-RE) from the running kernel's BTF.
# usage: gen-vmlinux.sh <output file> [btf file, default /sys/kernel/btf/vmlinux]
# The result is a build output, never committed: CO-RE relocations make the object portable.
set -eu
out=${1:?usage: gen-vmlinux.sh <output file> [btf file]}
btf=${2:-${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}}
bpftool=${BPFTOOL:-bpftool}
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux.sh: no BTF at $btf: the kernel needs CONFIG_DEBUG_INFO_BTF=y (or pass a BTF file)" >&2
	exit 1
fi
mkdir -p "$(dirname "$out")"
"$bpftool" btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
