#!/usr/bin/env bash
# Checks the README's "Use Nabla in your own project" steps the way a new user runs them: packs Nabla, makes a fresh
# console project in a temp folder, adds the package from a local feed, puts the README's example program in it, runs
# it (JIT) and publishes it with NativeAOT, which must print no trim/AOT warning and give the same output.
# Usage: tools/package-check.sh [--no-aot]. Needs a Release build of the solution first (.ci/run makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
aot=1
[ "${1:-}" = "--no-aot" ] && aot=0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"

echo "== dotnet pack -c Release"
dotnet pack -c Release --no-build -o "$feed" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
version="$(sed -n 's#.*<Version>\(.*\)</Version>.*#\1#p' src/Nabla/Nabla.csproj)"
for f in "Nabla.$version.nupkg" "Nabla.$version.snupkg"; do
    [ -f "$feed/$f" ] || { echo "package-check: dotnet pack did not write $f"; ls "$feed"; exit 1; }
done
# The package holds what a user needs: the library, its XML docs, README, license, the trimming targets.
listing="$(unzip -l "$feed/Nabla.$version.nupkg")"
for f in lib/net10.0/Nabla.dll lib/net10.0/Nabla.xml README.md LICENSE buildTransitive/Nabla.targets; do
    grep -q " $f\$" <<<"$listing" || { echo "package-check: the package lacks $f"; exit 1; }
done

# A package cache of its own, so this run uses the package just made and never a cached copy of the same version;
# packages the machine already has are linked in to save downloads.
export NUGET_PACKAGES="$work/packages"
mkdir -p "$NUGET_PACKAGES"
for p in system.numerics.tensors microsoft.dotnet.ilcompiler runtime.linux-x64.microsoft.dotnet.ilcompiler; do
    [ -d "$HOME/.nuget/packages/$p" ] && cp -al "$HOME/.nuget/packages/$p" "$NUGET_PACKAGES/" 2>/dev/null || true
done

echo "== dotnet new console; dotnet add package Nabla --source <local feed>"
cd "$work"
dotnet new console -o MyApp >/dev/null
dotnet add MyApp package Nabla --version "$version" --source "$feed" >"$work/add.log" 2>&1 || { cat "$work/add.log"; exit 1; }
# The README's example program: the csharp block after the marker line.
awk '/<!-- package-example -->/ {on = 1; next} on && /^```csharp/ {copy = 1; next} copy && /^```/ {exit} copy' \
    "$repo/README.md" >MyApp/Program.cs
[ -s MyApp/Program.cs ] || { echo "package-check: no example program found in README.md"; exit 1; }

expected="$(awk '/<!-- package-example-output -->/ {on = 1; next} on && /^```/ {if (copy) exit; copy = 1; next} copy' "$repo/README.md")"
echo "== dotnet run -c Release --project MyApp"
out="$(NABLA_NO_DEBUG_WARNING=1 dotnet run -c Release --project MyApp)"
echo "$out"
[ "$out" = "$expected" ] || { echo "package-check: expected the README's output:"; echo "$expected"; exit 1; }

if [ "$aot" = 1 ]; then
    echo "== dotnet publish -c Release -p:PublishAot=true"
    dotnet publish MyApp -c Release -p:PublishAot=true -p:RestoreAdditionalProjectSources="$feed" -o aot >"$work/aot.log" 2>&1 \
        || { cat "$work/aot.log"; exit 1; }
    if grep -E "warning (IL|SYSLIB)" "$work/aot.log"; then echo "package-check: the NativeAOT publish printed warnings (above)"; exit 1; fi
    out="$(./aot/MyApp)"
    echo "$out"
    [ "$out" = "$expected" ] || { echo "package-check: the NativeAOT program printed other output than the README's:"; echo "$expected"; exit 1; }
fi
echo "package-check: ok"
