#!/usr/bin/env bash
# check_docs.sh - the documentation cannot drift from the code:
#
#   1. every public function (a VN_API declaration in include/) carries a
#      Doxygen comment: one right above it, a trailing /**< ... */, or the
#      comment of the @name group ( /**@{*/ ... /**@}*/ ) it is declared in;
#   2. every line of C code shown in README.md and docs/*.md (```c blocks)
#      appears in a compiled example under examples/: guides show excerpts
#      of programs that are built and run, never code that is not compiled.
#      A line "/* ... */" or "..." marks an elision and is not checked.
#
#   tests/check_docs.sh [SOURCE_DIR]
set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
status=0

# --- 1. comments on public functions ---------------------------------------
undocumented=$(
    for h in "$src"/include/*.h "$src"/include/visionnet/*.h; do
        [ -e "$h" ] || continue
        awk -v file="${h#"$src"/}" '
            /@\{/ { group++ }
            /@\}/ { if (group > 0) group-- }
            /^[ \t]*VN_API[ \t]/ && !/^[ \t]*#/ {
                if (!group && prev !~ /\*\/[ \t]*$/ && $0 !~ /\/\*\*</)
                    printf "%s:%d: %s\n", file, NR, $0
            }
            # The previous line that ends something: a comment or a statement.
            /[^ \t]/ { prev = $0 }
        ' "$h"
    done
)
if [ -n "$undocumented" ]; then
    echo "FAIL: public functions without a comment:"
    printf '%s\n' "$undocumented" | sed 's/^/  /'
    status=1
else
    echo "ok: every VN_API declaration has a comment"
fi

# --- 2. code in the guides comes from the examples ---------------------------
examples_text=$(cat "$src"/examples/*.c 2>/dev/null | sed 's/^[ \t]*//; s/[ \t]*$//')
missing=""
for doc in "$src"/README.md "$src"/docs/*.md; do
    [ -e "$doc" ] || continue
    while IFS= read -r line; do
        missing+="${doc#"$src"/}: $line"$'\n'
    done < <(
        awk '/^```c[ \t]*$/ { inside = 1; next } /^```/ { inside = 0 } inside' "$doc" |
            sed 's/^[ \t]*//; s/[ \t]*$//' |
            grep -v -x -e '' -e '/\* \.\.\. \*/' -e '\.\.\.' |
            while IFS= read -r code; do
                grep -q -x -F -e "$code" <<<"$examples_text" || printf '%s\n' "$code"
            done
    )
done
if [ -n "$missing" ]; then
    echo "FAIL: code in the docs that no example under examples/ contains:"
    printf '%s' "$missing" | sed 's/^/  /'
    status=1
else
    echo "ok: every line of C in README.md and docs/ comes from examples/"
fi
exit $status
