import * as assert from 'node:assert/strict';
import { escapeHtml } from '../../webviews/shared/host';

describe('webviews: text for innerHTML', () => {
  it('escapes markup, and takes values that are not the strings their types promise', () => {
    assert.equal(
      escapeHtml('<img src=x onerror="a()">&\''),
      '&lt;img src=x onerror=&quot;a()&quot;&gt;&amp;&#39;',
    );
    assert.equal(escapeHtml({ toString: () => '<b>' }), '&lt;b&gt;');
    assert.equal(escapeHtml(42), '42');
    assert.equal(escapeHtml(null), '');
    assert.equal(escapeHtml(undefined), '');
  });
});
