import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { importDataset } from '../../../src/dataset/import';
import { readCsv } from '../../../src/dataset/readers/csv';
import { readJsonl } from '../../../src/dataset/readers/jsonl';
import { readMedQuadXml } from '../../../src/dataset/readers/medquad';
import { scanXml, XmlSyntaxError, lineAndColumn } from '../../../src/dataset/readers/xmlScanner';
import { fixturesDir } from '../../support/paths';

const medquad = path.join(fixturesDir, 'medquad', 'MedQuAD');
const broken = path.join(fixturesDir, 'medquad', 'broken', '5_NIDDK_QA');

function read(collection: string, file: string) {
  const text = readFileSync(path.join(medquad, collection, file), 'utf8');
  return readMedQuadXml(text, collection, `${collection}/${file}`);
}

function scanError(xml: string): XmlSyntaxError {
  try {
    scanXml(xml, { open() {}, text() {}, close() {} });
  } catch (error) {
    assert.ok(error instanceof XmlSyntaxError, String(error));
    return error;
  }
  assert.fail(`expected a syntax error for ${JSON.stringify(xml)}`);
}

describe('xml scanner', () => {
  it('decodes entities, character references and CDATA, skips comments and declarations', () => {
    const texts: string[] = [];
    scanXml(
      '\ufeff<?xml version="1.0"?><!-- c --><a x="1 &amp; 2"><b>&lt;&#65;&#x42;&quot;</b><![CDATA[<raw>&]]></a>',
      {
        open: (name, attributes) => texts.push(`<${name}${attributes.x ? ` x=${attributes.x}` : ''}>`),
        text: (text) => texts.push(text),
        close: (name) => texts.push(`</${name}>`),
      },
    );
    assert.deepEqual(texts, ['<a x=1 & 2>', '<b>', '<AB"', '</b>', '<raw>&', '</a>']);
  });

  it('reports mismatched, unclosed and stray markup with its position', () => {
    const mismatch = scanError('<a>\n<b>text</c></a>');
    assert.match(mismatch.message, /<\/c> does not match <b> opened on line 2/);
    assert.deepEqual(lineAndColumn('<a>\n<b>text</c></a>', mismatch.offset), { line: 2, column: 8 });
    assert.match(scanError('<a><b>cut').message, /truncated/);
    assert.match(scanError('<a>x</a><b/>').message, /second root/);
    assert.match(scanError('<a>&nope;</a>').message, /unknown entity/);
    assert.match(scanError('<a>fish & chips</a>').message, /must start an entity/);
    assert.match(scanError('<a x=1></a>').message, /must be quoted/);
    assert.match(scanError('').message, /no root element/);
    assert.match(scanError('<a>x</a>tail').message, /outside the root/);
  });
});

describe('MedQuAD reader: every collection layout', () => {
  it('keeps document metadata and UMLS annotations (CancerGov)', () => {
    const { pairs, problems } = read('1_CancerGov_QA', '0000001_1.xml');
    assert.deepEqual(problems, []);
    assert.equal(pairs.length, 2);
    const [first, second] = pairs;
    assert.equal(first.id, '1_CancerGov_QA/0000001_1/1');
    assert.equal(first.qid, '0000001_1-1');
    assert.equal(first.qtype, 'information');
    assert.equal(first.question, 'What is (are) Basal Cell Skin Cancer ?');
    assert.deepEqual(
      { ...first.document },
      {
        id: '0000001_1',
        collection: '1_CancerGov_QA',
        source: 'CancerGov',
        file: '1_CancerGov_QA/0000001_1.xml',
        url: 'https://example.org/cancer/skin-basics',
        focus: 'Basal Cell Skin Cancer',
        cuis: ['C0000001'],
        semanticTypes: ['T191'],
        semanticGroup: 'Disorders',
      },
    );
    // XML indentation is removed line by line; at most one blank line is kept.
    assert.ok(first.answer.startsWith('Key Points\n- Basal cell'), first.answer);
    assert.ok(first.answer.includes('body.\n\nSun exposure'), first.answer);
    assert.ok(first.answer.includes("doctor's skin check"));
    assert.equal(second.answer.includes('"topical" creams; the choice depends on size & location.'), true);
  });

  it('gives files that share an id attribute distinct pair ids (the file stem) and keeps the declared id', () => {
    const a = read('1_CancerGov_QA', '0000002_1_1.xml').pairs[0];
    const b = read('1_CancerGov_QA', '0000002_1_2.xml').pairs[0];
    assert.equal(a.id, '1_CancerGov_QA/0000002_1_1/1');
    assert.equal(b.id, '1_CancerGov_QA/0000002_1_2/1');
    assert.equal(a.document.declaredId, '0000002_1');
  });

  it('reads synonyms and several CUIs, and keeps empty answers as unanswered pairs (GARD)', () => {
    const { pairs } = read('2_GARD_QA', '0000004.xml');
    assert.equal(pairs.length, 3);
    assert.deepEqual(pairs[0].document.synonyms, ['Example dysplasia', 'SMPL']);
    assert.deepEqual(pairs[0].document.cuis, ['C0000004', 'C0000005']);
    assert.deepEqual(pairs[0].document.semanticTypes, ['T019', 'T047']);
    assert.equal(pairs[1].answer, '');
    assert.equal(pairs[1].qtype, 'inheritance');
  });

  it('reads the Category of MedlinePlus collections and collections whose answers were removed', () => {
    const topics = read('4_MPlus_Health_Topics_QA', '0000001.xml').pairs[0];
    assert.equal(topics.document.category, 'Other');
    assert.equal(topics.document.cuis, undefined);
    const adam = read('10_MPlus_ADAM_QA', '0000001.xml');
    assert.deepEqual(
      adam.pairs.map((p) => [p.pid, p.answer]),
      [
        ['1', ''],
        ['3', ''],
      ],
    );
    assert.equal(adam.pairs[0].document.category, 'Disease');
    assert.deepEqual(adam.pairs[0].document.synonyms, ['Sprained ankle']);
    const drugs = read('11_MPlusDrugs_QA', '0000001.xml').pairs[0];
    assert.equal(drugs.document.category, 'Drug');
    assert.equal(drugs.qtype, 'side effects');
  });

  it('reads the lower-case <doc>/<pair> layout (some NINDS files)', () => {
    const { pairs, problems } = read('6_NINDS_QA', '0000007.xml');
    assert.deepEqual(problems, []);
    assert.equal(pairs.length, 2);
    assert.equal(pairs[0].id, '6_NINDS_QA/0000007/1');
    assert.equal(pairs[0].document.source, 'NINDS');
    assert.equal(pairs[0].document.focus, 'Essential Tremor');
    assert.equal(pairs[0].document.url, 'https://example.org/ninds/tremor');
    assert.equal(pairs[1].qtype, 'treatment');
    assert.match(pairs[1].answer, /^Medicines/);
    // Empty <cui/> elements are not annotations.
    assert.equal(pairs[0].document.cuis, undefined);
  });

  it('reads bare UMLS blocks, CDATA and the <DiseaseFile> root (CDC)', () => {
    const doc = read('9_CDC_QA', '0000001.xml').pairs[0];
    assert.equal(doc.document.semanticGroup, undefined);
    assert.match(doc.answer, /eating\.\n\nUse an alcohol-based sanitiser when soap & water/);
    const disease = read('9_CDC_QA', '0000002.xml').pairs[0];
    assert.equal(disease.id, '9_CDC_QA/0000002/1');
    assert.equal(disease.document.source, 'CDC');
  });

  it('reports a malformed file with line and column and keeps the complete pairs before the error', () => {
    const text = readFileSync(path.join(broken, '0000001.xml'), 'utf8');
    const { pairs, problems } = readMedQuadXml(text, '5_NIDDK_QA', '5_NIDDK_QA/0000001.xml');
    assert.deepEqual(
      pairs.map((p) => p.id),
      ['5_NIDDK_QA/0000001/1'],
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0].kind, 'malformed-xml');
    assert.equal(problems[0].line, 11);
    assert.equal(problems[0].file, '5_NIDDK_QA/0000001.xml');
    assert.match(problems[0].message, /<\/Answr> does not match <Answer>/);
  });

  it('reports a truncated file', () => {
    const text = readFileSync(path.join(broken, '0000002.xml'), 'utf8');
    const { pairs, problems } = readMedQuadXml(text, '5_NIDDK_QA', '5_NIDDK_QA/0000002.xml');
    assert.equal(pairs.length, 1);
    assert.match(problems[0].message, /truncated/);
    assert.equal(problems[0].kind, 'malformed-xml');
  });

  it('calls a well-formed file with another root unsupported', () => {
    const { problems } = readMedQuadXml('<html><body/></html>', 'x', 'x/a.xml');
    assert.equal(problems[0].kind, 'unsupported');
  });
});

// Found by the importer fuzz (test/fuzz/importers.fuzz.ts): input that was dropped or changed without a problem.
describe('readers: nothing is dropped without a problem (importer fuzz findings)', () => {
  const pairXml = (question: string, pid: string) =>
    `<QAPair pid="${pid}">${question}<Answer>An answer.</Answer></QAPair>`;
  const documentXml = (...pairs: string[]) =>
    `<Document id="0000001" source="GARD">\n<QAPairs>\n${pairs.join('\n')}\n</QAPairs>\n</Document>\n`;

  it('MedQuAD: a pair without a question, or with an empty one, is a problem on its line, not a pair', () => {
    const xml = documentXml(
      pairXml('<Question qtype="causes">What causes it?</Question>', '1'),
      pairXml('', '2'),
      pairXml('<Question qtype="x">  </Question>', '3'),
    );
    const { pairs, problems } = readMedQuadXml(xml, '2_GARD_QA', '2_GARD_QA/0000001.xml');
    assert.deepEqual(
      pairs.map((p) => p.pid),
      ['1'],
    );
    assert.deepEqual(
      problems.map((p) => [p.kind, p.line, p.message]),
      [
        ['bad-row', 4, 'pair 2 has no question; skipped'],
        ['bad-row', 5, 'pair 3 has no question; skipped'],
      ],
    );
  });

  it('MedQuAD: a pair inside a pair, or inside an answer, is malformed (it used to vanish silently)', () => {
    const inner = pairXml('<Question qtype="x">Inner?</Question>', '2');
    const inPair = documentXml(`<QAPair pid="1">${inner}<Question qtype="x">Outer?</Question></QAPair>`);
    const inAnswer = documentXml(
      `<QAPair pid="1"><Question>Outer?</Question><Answer>${inner}</Answer></QAPair>`,
    );
    for (const [xml, where] of [
      [inPair, 'the pair 1'],
      [inAnswer, '<answer>'],
    ]) {
      const { pairs, problems } = readMedQuadXml(xml, '2_GARD_QA', '2_GARD_QA/0000001.xml');
      assert.equal(pairs.length, 0);
      assert.deepEqual(
        problems.map((p) => [p.kind, p.line, p.message]),
        [['malformed-xml', 3, `<QAPair> inside ${where}, which is not closed`]],
      );
    }
  });

  it('CSV: a row with more fields than the header is imported and reported (an unquoted comma cut its answer)', () => {
    const { pairs, problems } = readCsv(
      'question,answer\nWhat is it?,A thing, with parts\nOk?,"Yes, fine",\n',
      'data.csv',
    );
    assert.deepEqual(
      pairs.map((p) => p.answer),
      ['A thing', 'Yes, fine'],
    );
    assert.equal(problems.length, 1, 'an empty field past the header loses nothing');
    assert.equal(problems[0].line, 2);
    assert.equal(problems[0].kind, 'bad-row');
    assert.match(
      problems[0].message,
      /row 1 has 3 fields but the header has 2; .* "," in a field that is not quoted/,
    );
  });

  it('JSONL: an empty or blank file is a problem, like an empty CSV', () => {
    for (const text of ['', '\n  \n', '\ufeff']) {
      const { pairs, problems } = readJsonl(text, 'empty.jsonl');
      assert.equal(pairs.length, 0);
      assert.deepEqual(
        problems.map((p) => [p.line, p.kind, p.message]),
        [[1, 'bad-row', 'the file is empty: expected one JSON object per line']],
      );
    }
  });

  it('JSONL: an answer that is not text is a problem on its line (it used to become an empty answer)', () => {
    const lines = [
      '{"question": "a?", "answer": {"text": "x"}}',
      '{"question": "b?", "answer": true}',
      '{"question": "c?", "answer": ["one", "two"]}',
      '{"messages": [{"role": "user", "content": "d?"}, {"role": "assistant", "content": {"x": 1}}]}',
      '{"question": "e?", "answer": null}',
      '{"question": "f?", "answer": 42}',
      '{"question": "g?", "answer": [{"type": "text", "text": "parts"}]}',
      '{"question": "h?", "response": {}, "output": "the output"}',
    ];
    const { pairs, problems } = readJsonl(lines.join('\n'), 'data.jsonl');
    assert.deepEqual(
      pairs.map((p) => [p.question, p.answer]),
      [
        ['e?', ''],
        ['f?', '42'],
        ['g?', 'parts'],
        ['h?', 'the output'],
      ],
    );
    assert.deepEqual(
      problems.map((p) => [p.line, p.message]),
      [
        [1, '"answer" is not text: expected a string'],
        [2, '"answer" is not text: expected a string'],
        [3, '"answer" is not text: expected a string'],
        [4, 'the assistant turn has no text content'],
      ],
    );
  });

  it('importDataset: a file that is not UTF-8 still imports, with a problem at the first bad byte', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medqa-encoding-'));
    try {
      const latin1 = path.join(dir, 'latin1.csv');
      writeFileSync(
        latin1,
        Buffer.concat([
          Buffer.from('question,answer\nWhat is a \uFFFD?,ok\n', 'utf8'),
          Buffer.from('Caf\u00e9?,Fran\u00e7ais\n', 'latin1'),
        ]),
      );
      const utf16 = path.join(dir, 'utf16.jsonl');
      writeFileSync(
        utf16,
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"question": "q?"}\n', 'utf16le')]),
      );
      const fine = path.join(dir, 'fine.jsonl');
      writeFileSync(fine, '{"question": "Caf\u00e9 \uFFFD?"}\n');

      const first = await importDataset(latin1);
      assert.deepEqual(
        first.pairs.map((p) => p.question),
        ['What is a \uFFFD?', 'Caf\uFFFD?'],
      );
      assert.deepEqual(
        first.problems.map((p) => [p.kind, p.line]),
        [['bad-encoding', 3]],
        'a real U+FFFD on line 2 is not the bad byte',
      );
      assert.match(first.problems[0].message, /not UTF-8: byte 0xe9 .* save the file as UTF-8/);

      const second = await importDataset(utf16);
      assert.ok(
        second.problems.some((p) => p.kind === 'bad-encoding' && /looks like UTF-16/.test(p.message)),
      );
      assert.deepEqual((await importDataset(fine)).problems, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
