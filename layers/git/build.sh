#!/usr/bin/env bash
# Builds the leakguard git layer into OUTPUT_DIR:
#
#   bin/git                      wrapper: sets GIT_EXEC_PATH, GIT_TEMPLATE_DIR, LD_LIBRARY_PATH, runs git
#   bin/git-remote-codecommit    helper for codecommit:: remotes (module in python/)
#   libexec/git-core/            the git binary and the few dashed programs it runs (http, pack transfer)
#   lib/                         shared libraries of those programs, minus glibc (the runtime has it)
#   share/git-core/templates/    empty, so git does not warn about missing templates
#   python/git_remote_codecommit (only with --install)
#
# usage: build.sh [--install] OUTPUT_DIR
#   --install   first install git (dnf, Amazon Linux 2023: what CDK's Docker bundling runs) and
#               git-remote-codecommit (pip). Without it, the git already on this machine is packaged and
#               nothing is downloaded: that is how the infra tests exercise this script.
set -euo pipefail

install=false
if [[ "${1:-}" == "--install" ]]; then
  install=true
  shift
fi
out=${1:?usage: build.sh [--install] OUTPUT_DIR}
recipe=$(cd "$(dirname "$0")" && pwd -P)

# git-remote-codecommit is published as an sdist only (pure Python), so it is pinned here rather than in
# the dependency layer's lock file; a test checks this pin against the version the tests run.
GIT_REMOTE_CODECOMMIT_VERSION=1.17

if $install; then
  dnf install -y --setopt=install_weak_deps=False git-core python3-pip glibc-common gawk >/dev/null
  python3 -m pip install --quiet --no-deps --no-compile --target "$out/python" \
    "git-remote-codecommit==$GIT_REMOTE_CODECOMMIT_VERSION"
fi

exec_path=$(git --exec-path)
core="$out/libexec/git-core"
mkdir -p "$out/bin" "$core" "$out/lib" "$out/share/git-core/templates"

# The programs git runs by name for what leakguard does: clone/fetch/push over https (codecommit) or
# file:// (tests, demo). Builtins such as bundle, rev-list and diff are inside the git binary itself.
cp -L "$exec_path/git" "$core/git" 2>/dev/null || cp -L "$(command -v git)" "$core/git"
for program in git-remote-http git-remote-https; do
  if [[ -e "$exec_path/$program" ]]; then cp -L "$exec_path/$program" "$core/$program"; fi
done
for builtin in git-upload-pack git-receive-pack git-upload-archive; do
  ln -sf git "$core/$builtin"
done

# Shared libraries, except glibc's own, which must come from the runtime it runs on.
for binary in "$core"/git "$core"/git-remote-http*; do
  [[ -e "$binary" ]] || continue
  ldd "$binary" | awk '/=> \// { print $3 }' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libresolv.so.* | ld-linux*) ;;
      *) cp -L "$lib" "$out/lib/" ;;
    esac
  done
done

install -m 0755 "$recipe/bin/git" "$out/bin/git"
install -m 0755 "$recipe/bin/git-remote-codecommit" "$out/bin/git-remote-codecommit"
chmod 0755 "$core"/git*
echo "git layer built in $out: $("$out/bin/git" --version)"
