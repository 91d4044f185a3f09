import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** A few MedQuAD-style pairs (written for these tests), enough for a handful of optimizer steps. */
const PAIRS: [collection: string, qtype: string, question: string, answer: string][] = [
  [
    '1_CancerGov_QA',
    'information',
    'What is (are) Retinoblastoma ?',
    'Retinoblastoma is a disease in which malignant (cancer) cells form in the tissues of the retina, the nerve tissue that lines the inside of the back of the eye.',
  ],
  [
    '1_CancerGov_QA',
    'symptoms',
    'What are the symptoms of Retinoblastoma ?',
    'Signs of retinoblastoma include a white pupil, eyes that appear to look in different directions, and pain or redness in the eye.',
  ],
  [
    '2_GARD_QA',
    'information',
    'What is (are) Alpers syndrome ?',
    'Alpers syndrome is a progressive neurologic disorder that begins during childhood and is complicated in many instances by serious liver disease.',
  ],
  [
    '3_GHR_QA',
    'inheritance',
    'Is Wolman disease inherited ?',
    'This condition is inherited in an autosomal recessive pattern, which means both copies of the gene in each cell have mutations.',
  ],
  [
    '4_MPlus_Health_Topics_QA',
    'treatment',
    'What are the treatments for Asthma ?',
    'Asthma is treated with two kinds of medicines: quick-relief medicines to stop symptoms and long-term control medicines to prevent them.',
  ],
  [
    '5_NIDDK_QA',
    'causes',
    'What causes Anemia of Inflammation ?',
    'Anemia of inflammation is caused by an immune response that changes how the body uses iron and limits red blood cell production.',
  ],
  [
    '6_NINDS_QA',
    'outlook',
    "What is the outlook for Bell's Palsy ?",
    "The prognosis for individuals with Bell's palsy is generally very good; most people begin to recover within two weeks.",
  ],
  [
    '7_SeniorHealth_QA',
    'prevention',
    'How to prevent Falls ?',
    'Regular exercise, a review of medicines, vision checks and a safer home all lower the chance of a fall in older adults.',
  ],
  [
    '8_NHLBI_QA_XML',
    'exams and tests',
    'How to diagnose Hypotension ?',
    'Doctors diagnose low blood pressure from blood pressure readings, the signs and symptoms, and tests such as an echocardiogram.',
  ],
  [
    '9_CDC_QA',
    'susceptibility',
    'Who is at risk for Parasites - Scabies? ?',
    'Anyone can get scabies; outbreaks are common in nursing homes, extended-care facilities and child care centers.',
  ],
];

/**
 * Writes a dataset export (contract #1) into `dir`: 7 train, 2 validation, 1 test example. Returns `dir`.
 * Used where the dataset feature's own export command is not the thing under test.
 */
export function writeTrainingExport(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const lines = PAIRS.map(([collection, qtype, question, answer], index) =>
    JSON.stringify({
      id: `${collection}/${String(index + 1).padStart(7, '0')}/1`,
      messages: [
        { role: 'user', content: question },
        { role: 'assistant', content: answer },
      ],
      qtype,
      source: collection.split('_')[1],
    }),
  );
  const splits = { train: lines.slice(0, 7), validation: lines.slice(7, 9), test: lines.slice(9) };
  for (const [split, rows] of Object.entries(splits))
    writeFileSync(path.join(dir, `${split}.jsonl`), rows.join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify(
      {
        format: 'medqa-chat-jsonl',
        version: 1,
        createdAt: new Date().toISOString(),
        seed: 42,
        ratios: [0.7, 0.2, 0.1],
        counts: { train: 7, validation: 2, test: 1, excluded: 0, unanswered: 0 },
        files: { train: 'train.jsonl', validation: 'validation.jsonl', test: 'test.jsonl' },
        sourceHash: 'test-fixture',
        overlayHash: 'test-fixture',
        splitHash: 'test-fixture',
        systemPrompt: null,
      },
      null,
      2,
    ),
  );
  return dir;
}
