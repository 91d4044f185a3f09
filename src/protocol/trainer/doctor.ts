/**
 * What `python -m medqa_trainer doctor --json` prints (trainer/medqa_trainer/doctor.py `report()`), as valibot
 * schemas. The versions are read first and on their own: a trainer of another protocol may report another shape,
 * and the user must still be told which side to update.
 */
import * as v from 'valibot';
import { issueText } from './issues';

const versionsSchema = v.looseObject({
  // A doctor that names no protocol predates version 1: it reads as version 0, an older trainer to update.
  protocol_version: v.fallback(v.number(), 0),
  trainer_version: v.fallback(v.string(), 'unknown'),
});

const packageVersions = v.record(v.string(), v.nullable(v.string()));

// Loose: a newer doctor may report more; what it reports is logged as it came.
export const trainerDoctorReportSchema = v.looseObject({
  python: v.string(),
  executable: v.string(),
  packages: packageVersions,
  optional_packages: v.optional(packageVersions),
  cuda: v.looseObject({ available: v.boolean(), devices: v.array(v.string()), bf16: v.boolean() }),
  trainer_version: v.string(),
  protocol_version: v.number(),
});

export type TrainerDoctorReport = v.InferOutput<typeof trainerDoctorReportSchema>;
export type DoctorVersions = v.InferOutput<typeof versionsSchema>;

export type DoctorOutput =
  /** Not a report at all (not JSON, or not an object): `error` says so. */
  | { error: string }
  /** The versions, and the report when the rest is as this protocol says (else `problem` names what is not). */
  | { versions: DoctorVersions; report: TrainerDoctorReport; problem?: undefined }
  | { versions: DoctorVersions; report?: undefined; problem: string };

export function parseDoctorOutput(stdout: string): DoctorOutput {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    return { error: `The trainer printed an unreadable report: ${stdout.slice(0, 200)}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { error: `The trainer printed a report that is not an object: ${stdout.slice(0, 200)}` };
  const versions = v.parse(versionsSchema, raw);
  const report = v.safeParse(trainerDoctorReportSchema, raw);
  if (report.success) return { versions, report: report.output };
  return {
    versions,
    problem: `The trainer printed a report this MedQA Studio cannot read (${issueText(report.issues[0])})`,
  };
}
