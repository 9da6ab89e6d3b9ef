#!/usr/bin/env bash
# Checks that every C++ file of the repository is formatted as .clang-format says. Lists the
# files that are not, with the command that fixes them, and exits 1; exits 0 when all are.
#   bash tools/ci/check_format.sh [clang-format binary]      (run by ctest as lint.clang_format)
#   bash tools/ci/check_format.sh --fix [clang-format binary] reformats them in place
set -euo pipefail
cd "$(dirname "$0")/../.."

fix=0
if [ "${1:-}" = "--fix" ]; then
  fix=1
  shift
fi
clang_format=${1:-clang-format}

# The files git knows (tracked or new, not ignored); a plain find outside a git checkout.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.hpp' '*.h' |
                       while read -r f; do [ -f "$f" ] && echo "$f"; done | sort -u)
else
  mapfile -t files < <(find include tests examples benchmarks tools -type f \
                         \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) 2>/dev/null | sort)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "check_format: no C++ files found" >&2
  exit 1
fi

if [ $fix -eq 1 ]; then
  "$clang_format" -i "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -ne 0 ]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files are not clang-formatted ($("$clang_format" --version)):"
  printf '  %s\n' "${bad[@]}"
  echo "fix with: $clang_format -i ${bad[*]}"
  exit 1
fi
echo "check_format: all ${#files[@]} C++ files are clang-formatted"
