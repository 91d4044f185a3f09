// The "Human grades" card of the Metrics panel: mean grade per model with its interval, the grade distribution,
// flags, blind preference, agreement between graders and how well token F1 tracks the grades.
import type { GradeSummary, MetricValue } from '../../src/protocol/metricsPanel';
import { escapeHtml } from '../shared/host';

const SIDE_TEXT = { adapter: 'Fine-tuned', base: 'Base model' } as const;
const FLAG_TEXT: Record<string, string> = {
  unsafe: 'Unsafe',
  hallucinated: 'Hallucinated',
  missing: 'Missing info',
  outdated: 'Outdated',
};

const fixed = (value: number | null, digits = 2) => (value === null ? '—' : value.toFixed(digits));

function withInterval(v: MetricValue, digits = 2, scale = 1): string {
  const [low, high] = v.ci;
  const point = v.value === null ? '—' : (v.value * scale).toFixed(digits);
  return low === null || high === null
    ? point
    : `${point} <span class="muted">[${(low * scale).toFixed(digits)}, ${(high * scale).toFixed(digits)}]</span>`;
}

export function gradesHtml(summary: GradeSummary | null): string {
  if (!summary)
    return '<p class="muted" id="grades-empty">No grades yet. Grade answers to compare what people judge with the automatic metrics.</p>';
  const flags = Object.keys(FLAG_TEXT);
  const rows = summary.sides
    .map(
      (s) =>
        `<tr data-side="${s.side}"><th scope="row">${SIDE_TEXT[s.side]}</th><td class="num">${s.graded}</td><td class="num">${withInterval(s.mean)}</td>${s.distribution
          .map((n) => `<td class="num">${n}</td>`)
          .join('')}${flags.map((f) => `<td class="num">${s.flags[f] ?? 0}</td>`).join('')}</tr>`,
    )
    .join('');
  const parts = [
    `<p class="muted">Graders: ${summary.graders.map(escapeHtml).join(', ') || '—'} · LiveQA-Med scale 1 Incorrect … 4 Correct and complete</p>`,
    `<table id="grades-table"><thead><tr><th>Model</th><th class="num">Graded</th><th class="num">Mean grade [95% CI]</th><th class="num">1</th><th class="num">2</th><th class="num">3</th><th class="num">4</th>${flags
      .map((f) => `<th class="num">${FLAG_TEXT[f]}</th>`)
      .join('')}</tr></thead><tbody>${rows}</tbody></table>`,
  ];
  const facts: string[] = [];
  if (summary.preference) {
    const p = summary.preference;
    facts.push(
      `<li id="grades-preference">Blind A/B: fine-tuned preferred in ${withInterval(p.rate, 0, 100)}% of ${p.n} (fine-tuned ${p.adapter}, base ${p.base}, ties ${p.ties}; ties count half)</li>`,
    );
  }
  for (const a of summary.agreement)
    facts.push(
      `<li class="grades-agreement">${a.method === 'fleiss' ? "Fleiss' kappa" : "Cohen's kappa (quadratic)"} ${fixed(a.kappa, 3)} · ${a.graders.map(escapeHtml).join(' & ')} on ${a.n} shared answers</li>`,
    );
  if (summary.correlation)
    facts.push(
      `<li id="grades-correlation">Spearman correlation of grade with token F1: ${fixed(summary.correlation.spearman, 3)} (${summary.correlation.n} answers)</li>`,
    );
  if (summary.stale > 0)
    facts.push(
      `<li class="warning">${summary.stale} grade(s) belong to an earlier text of an answer and are not counted</li>`,
    );
  if (summary.problems.length > 0)
    facts.push(
      `<li class="warning">${summary.problems.length} line(s) in the grade files could not be read (see the log)</li>`,
    );
  if (facts.length > 0) parts.push(`<ul class="notes">${facts.join('')}</ul>`);
  return parts.join('');
}
