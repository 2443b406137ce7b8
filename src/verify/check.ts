/** One line of `engram verify`: PASS, FAIL, or SKIP (the check needs something not given). */
export interface CheckResult {
  phase: string;
  name: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
}

export type Check = () => Promise<CheckResult>;

export class CheckFailed extends Error {}

/** Runs a check body; a thrown CheckFailed (or any error) is a FAIL with its message. */
export async function check(phase: string, name: string, body: () => Promise<string>): Promise<CheckResult> {
  try {
    return { phase, name, status: 'PASS', detail: await body() };
  } catch (err) {
    return { phase, name, status: 'FAIL', detail: err instanceof Error ? err.message : String(err) };
  }
}

/** What each phase of the seed's staging checklist checks, as a reader would name it. */
export const AREAS: Record<string, string> = {
  '4A': 'database',
  '4B': 'redis & rate limits',
  '4C': 'metrics',
  '4D': 'dashboard',
  '4E': 'alert rules',
  '4F': 'health',
  '4G': 'security',
};

export const skip = (phase: string, name: string, detail: string): CheckResult => ({ phase, name, status: 'SKIP', detail });

export function expectThat(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}
