#!/usr/bin/env bash
# check_exports.sh - the shared library exports the public vn_ API and
# nothing else (DESIGN.md section 2), under the soname libvisionnet.so.<major>.
#
#   tests/check_exports.sh path/to/libvisionnet.so [expected-soname]
#
# Every defined dynamic symbol must be named vn_* but not vn__* (the
# internal cross-file helpers). Absolute symbols (type A) are the version
# nodes of the version script (VISIONNET_0) and are allowed.
set -euo pipefail

lib=${1:?usage: check_exports.sh LIBRARY [SONAME]}
want_soname=${2:-libvisionnet.so.0}
status=0

# nm -D prints "address type name[@@VERSION]"; keep type and bare name.
syms=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $2, $3 }')

count=$(printf '%s\n' "$syms" | awk '$1 != "A" && $2 ~ /^vn_/' | wc -l)
if [ "$count" -eq 0 ]; then
    echo "FAIL: $lib exports no vn_ symbol at all"
    status=1
fi

bad=$(printf '%s\n' "$syms" | awk '$1 != "A" && ($2 !~ /^vn_/ || $2 ~ /^vn__/)' || true)
if [ -n "$bad" ]; then
    echo "FAIL: symbols exported that are not public vn_ API:"
    printf '  %s\n' "$bad"
    status=1
fi

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "$want_soname" ]; then
    echo "FAIL: SONAME is '${soname:-none}', expected '$want_soname'"
    status=1
fi

[ $status -eq 0 ] && echo "ok: $count vn_ symbols exported, nothing else; SONAME $soname"
exit $status
