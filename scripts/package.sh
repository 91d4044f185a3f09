# `./studio package` (and the demo): a production build packed into out/medqa-studio.vsix. Sourced by ./studio.
# .vscodeignore decides what goes in: the bundles, media/, the trainer package, package.json, README and LICENSE,
# and of the production dependencies (vsce lists them with npm) only onnxruntime-node and onnxruntime-common.

VSIX_FILE="$REPO_ROOT/out/medqa-studio.vsix"

package_vsix() {
  say "building for production (node esbuild.mjs --production)"
  (cd "$REPO_ROOT" && node esbuild.mjs --production) || die "the production build failed"
  say "packaging $VSIX_FILE"
  (cd "$REPO_ROOT" && npx --no-install vsce package --allow-missing-repository --skip-license \
    -o "$VSIX_FILE" >/dev/null) || die "vsce package failed"
}
