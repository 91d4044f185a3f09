import * as assert from 'node:assert/strict';
import type { QaPair } from '../../../src/dataset/model';
import {
  ancestry,
  buildGroupIndex,
  NOT_IN_SPLIT,
  type GroupData,
} from '../../../src/dataset/view/pairGroups';

function makePair(collection: string, doc: string, pid: number, qtype: string, focus?: string): QaPair {
  return {
    id: `${collection}/${doc}/${pid}`,
    document: {
      id: doc,
      collection,
      source: collection.split('_')[1] ?? collection,
      file: `${collection}/${doc}.xml`,
      ...(focus ? { focus } : {}),
    },
    pid: String(pid),
    qtype,
    question: `q ${collection} ${doc} ${pid}`,
    answer: pid % 2 ? 'answer' : '',
  };
}

const pairs: QaPair[] = [
  makePair('2_GARD_QA', '0000001', 1, 'symptoms', 'Acne'),
  makePair('2_GARD_QA', '0000001', 2, 'information', 'Acne'),
  makePair('10_MPlus_ADAM_QA', '0000003', 1, 'information'),
  makePair('1_CancerGov_QA', '0000002', 1, 'treatment', 'Leukemia'),
  makePair('2_GARD_QA', '0000002', 1, 'information', 'Bone'),
];

const labels = (groups: GroupData[] | undefined) => (groups ?? []).map((g) => `${g.label}:${g.all.length}`);

describe('dataset view: tree group indexes', () => {
  it('groups by collection (natural order) then document (focus as label, id as detail)', () => {
    const index = buildGroupIndex(pairs, 'collection');
    assert.deepEqual(labels(index.roots), ['1_CancerGov_QA:1', '2_GARD_QA:3', '10_MPlus_ADAM_QA:1']);
    const gard = index.roots[1];
    assert.deepEqual(labels(gard.groups), ['Acne:2', 'Bone:1']);
    assert.equal(gard.groups?.[0].detail, '0000001');
    assert.equal(index.roots[2].groups?.[0].label, '0000003', 'documents without focus use their id');
    assert.deepEqual(gard.groups?.[0].pairs, [0, 1]);
  });

  it('groups by qtype (largest first) then collection, and by split with a "not in split" bucket', () => {
    const byQtype = buildGroupIndex(pairs, 'qtype');
    assert.deepEqual(labels(byQtype.roots), ['information:3', 'symptoms:1', 'treatment:1']);
    assert.deepEqual(labels(byQtype.roots[0].groups), ['2_GARD_QA:2', '10_MPlus_ADAM_QA:1']);
    const splits: Record<string, string> = {
      '2_GARD_QA/0000001/1': 'train',
      '1_CancerGov_QA/0000002/1': 'test',
    };
    const bySplit = buildGroupIndex(pairs, 'split', { splitOf: (id) => splits[id] });
    assert.deepEqual(labels(bySplit.roots), ['train:1', 'validation:0', 'test:1', `${NOT_IN_SPLIT}:3`]);
  });

  it('gives every node a unique id and a parent chain that leads to each pair', () => {
    for (const grouping of ['collection', 'qtype', 'split'] as const) {
      const index = buildGroupIndex(pairs, grouping, { splitOf: () => 'train' });
      const ids = new Set<string>();
      const visit = (node: GroupData) => {
        assert.ok(!ids.has(node.id), `duplicate id ${node.id}`);
        ids.add(node.id);
        node.groups?.forEach(visit);
      };
      index.roots.forEach(visit);
      pairs.forEach((_, i) => {
        const chain = ancestry(index, i);
        assert.ok(chain.length >= 2, `${grouping}: pair ${i} has a chain`);
        assert.equal(chain[0].parent, undefined);
        assert.ok(chain[chain.length - 1].pairs?.includes(i));
        for (let k = 1; k < chain.length; k++) assert.equal(chain[k].parent, chain[k - 1]);
      });
    }
  });

  it('pages long lists so no node has more than pageSize children', () => {
    const many = Array.from({ length: 25 }, (_, i) => makePair('3_GHR_QA', `d${i}`, 1, 'information'));
    const index = buildGroupIndex(many, 'collection', { pageSize: 10 });
    const root = index.roots[0];
    assert.deepEqual(labels(root.groups), ['1–10 of 25:10', '11–20 of 25:10', '21–25 of 25:5']);
    assert.equal(root.groups?.[2].groups?.[0].label, 'd20');
    assert.deepEqual(
      ancestry(index, 24).map((g) => g.kind),
      ['collection', 'page', 'document'],
    );
    const flat = buildGroupIndex(many, 'qtype', { pageSize: 10 });
    const collection = flat.roots[0].groups?.[0];
    assert.deepEqual(labels(collection?.groups), ['1–10 of 25:10', '11–20 of 25:10', '21–25 of 25:5']);
    assert.equal(collection?.pairs, undefined, 'pairs moved into pages');
    assert.deepEqual(
      ancestry(flat, 13).map((g) => g.kind),
      ['qtype', 'collection', 'page'],
    );
  });

  // How fast is bench material (a timed test fails on a busy machine); here: every pair lands exactly once.
  it('indexes all 47k pairs once in every grouping, in pages of at most 500', () => {
    const big = Array.from({ length: 47_441 }, (_, i) =>
      makePair(`${i % 12}_C_QA`, `d${Math.floor(i / 4)}`, i % 4, ['a', 'b', 'c'][i % 3]),
    );
    for (const grouping of ['collection', 'qtype', 'split'] as const) {
      const index = buildGroupIndex(big, grouping);
      assert.equal(
        index.roots.reduce((sum, root) => sum + root.all.length, 0),
        big.length,
        grouping,
      );
      assert.ok(index.leafOf.every((leaf) => leaf !== undefined && (leaf.pairs?.length ?? 0) <= 500));
    }
  });
});
