import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  ANSWER_TEXT_EXTENSION,
  ANSWER_TEXT_LANGUAGE,
  sentencePerLine,
} from '../../../src/grading/answerText';
import { repoRoot } from '../../support/paths';

describe('answer text for the diff editors', () => {
  it("puts each of MedQuAD's ' - ' bullets on its own line, and the text after a list on the next", () => {
    // Real MedQuAD layout (GHR "diagnosis" answers): the list is inline, the end of the list is three spaces.
    const reference =
      'These resources address the diagnosis or management of IPEX syndrome:  - Gene Review: IPEX Syndrome  ' +
      "- Seattle Children's Hospital   These resources from MedlinePlus offer information:  - Diagnostic Tests  " +
      '- Drug Therapy';
    assert.equal(
      sentencePerLine(reference),
      [
        'These resources address the diagnosis or management of IPEX syndrome:',
        '- Gene Review: IPEX Syndrome',
        "- Seattle Children's Hospital",
        'These resources from MedlinePlus offer information:',
        '- Diagnostic Tests',
        '- Drug Therapy',
        '',
      ].join('\n'),
    );
    assert.equal(
      sentencePerLine('- Mutations can cause diabetes. Testing helps.  - A physician decides.'),
      '- Mutations can cause diabetes.\nTesting helps.\n- A physician decides.\n',
    );
  });

  it('keeps a lone prose dash and a number range on their line', () => {
    assert.equal(
      sentencePerLine('Symptoms start slowly - often over years. Doses of 10 - 20 mg help.'),
      'Symptoms start slowly - often over years.\nDoses of 10 - 20 mg help.\n',
    );
  });

  it('gives the documents a language whose editors wrap (package.json)', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: {
        languages: { id: string; extensions?: string[] }[];
        configurationDefaults: Record<string, Record<string, unknown>>;
      };
    };
    const language = pkg.contributes.languages.find((l) => l.id === ANSWER_TEXT_LANGUAGE);
    assert.ok(language, `package.json contributes no language ${ANSWER_TEXT_LANGUAGE}`);
    assert.deepEqual(language.extensions, [ANSWER_TEXT_EXTENSION]);
    // VS Code picks the longest matching extension, so this one wins over plaintext's .txt.
    assert.ok(ANSWER_TEXT_EXTENSION.endsWith('.txt') && ANSWER_TEXT_EXTENSION.length > '.txt'.length);
    assert.equal(
      pkg.contributes.configurationDefaults[`[${ANSWER_TEXT_LANGUAGE}]`]?.['editor.wordWrap'],
      'on',
    );
  });
});
