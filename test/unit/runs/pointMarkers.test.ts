import * as assert from 'node:assert/strict';
import { pointRadii } from '../../../webviews/shared/pointMarkers';

describe('chart point markers', () => {
  it('a series of one point gets a marker (it has no line, so radius 0 drew nothing)', () => {
    assert.deepEqual(pointRadii([{ y: 2.3 }], 0), [3]);
  });

  it('a point between gaps gets a marker; points on a line keep the line radius', () => {
    assert.equal(pointRadii([{ y: 1 }, { y: 2 }, { y: 3 }], 0), 0);
    assert.deepEqual(pointRadii([{ y: 1 }, { y: 2 }, { y: NaN }, { y: 4 }, { y: null }], 0), [0, 0, 0, 3, 0]);
    assert.equal(pointRadii([], 0), 0);
  });
});
