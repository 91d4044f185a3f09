import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  contributes: { viewsContainers: { activitybar: { id: string; icon: string }[] } };
  dependencies: Record<string, string>;
};

describe('what a newcomer sees first', () => {
  it('the activity-bar icon is a monochrome 24x24 SVG drawn in currentColor, and not the old speech bubble', () => {
    const container = pkg.contributes.viewsContainers.activitybar.find((c) => c.id === 'medqa');
    assert.ok(container);
    const file = path.join(repoRoot, container.icon);
    assert.ok(existsSync(file), `${container.icon} is missing`);
    const svg = readFileSync(file, 'utf8');
    assert.match(svg, /^<svg [^>]*viewBox="0 0 24 24"/);
    assert.match(svg, /stroke="currentColor"/);
    // Only currentColor (or none): VS Code tints activity-bar icons, a fixed colour would not follow the theme.
    for (const [, value] of svg.matchAll(/(?:fill|stroke)="([^"]*)"/g))
      assert.ok(value === 'currentColor' || value === 'none', `fixed colour ${value}`);
    assert.doesNotMatch(svg, /<(image|text|script|style)\b/);
    // The speech bubble the issue called generic (a rounded rectangle with a tail).
    assert.doesNotMatch(svg, /H11l-4\.5 4v-4/);
  });

  it('the README does not call in-editor generation unbuilt while the package ships it', () => {
    assert.ok(pkg.dependencies['onnxruntime-node'], 'onnxruntime-node is a dependency');
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    assert.doesNotMatch(readme, /not built yet/i);
    assert.doesNotMatch(readme, /in-editor generation[^.]*not (built|installed)/i);
  });
});
