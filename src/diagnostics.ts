// A sink for tolerable oddities (slack bytes, count mismatches, a backup GPT used instead of
// the primary). Library code reports here instead of printing; reports show them as warnings.

export type Severity = 'info' | 'warning';

export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  structure?: string;
  offset?: number;
  path?: string;
}

export interface Diagnostics {
  report(diagnostic: Diagnostic): void;
}

/** Collects diagnostics in memory, in arrival order. */
export class DiagnosticLog implements Diagnostics {
  readonly entries: Diagnostic[] = [];
  report(diagnostic: Diagnostic): void {
    this.entries.push(diagnostic);
  }
  warnings(): Diagnostic[] {
    return this.entries.filter((d) => d.severity === 'warning');
  }
}

/** Drops everything; for callers that do not care. */
export const ignoreDiagnostics: Diagnostics = { report() {} };
