/**
 * The reports `ssbench run` leaves next to its results: report.md, then report.html (the self-contained page with
 * charts). The Markdown report is written first; the HTML report is a bonus that must never cost the results: if
 * rendering it fails, a warning says why, report.md stays, and no stale report.html of an earlier run is left.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl, writeFileAtomic } from '@ssbench/core';
import { type HtmlReportOptions, type ReportRecord, htmlReport, markdownReport } from '@ssbench/report';

export interface RunReports {
  /** The Markdown report (always written). */
  markdown: string;
  /** The HTML report, or undefined when it could not be rendered (see `htmlError`). */
  html?: string;
  /** Why the HTML report was not written. */
  htmlError?: string;
}

export interface RunReportOptions {
  /** The report title (the config's name). */
  title: string;
  /** The command that regenerates the HTML report, printed at its top. */
  command?: string;
  /** Renders the HTML report (default `htmlReport`; replaceable for tests). */
  renderHtml?: (records: readonly ReportRecord[], options: HtmlReportOptions) => Promise<string>;
}

/** Writes `<outputDir>/report.md` and `<outputDir>/report.html` from a results file; returns what was written. */
export async function writeRunReports(resultsFile: string, outputDir: string, options: RunReportOptions): Promise<RunReports> {
  const records = readJsonl<ReportRecord>(resultsFile);
  const markdown = join(outputDir, 'report.md');
  writeFileSync(markdown, markdownReport(records, { title: options.title }));
  const html = join(outputDir, 'report.html');
  try {
    const page = await (options.renderHtml ?? htmlReport)(records, { title: options.title, ...(options.command ? { command: options.command } : {}) });
    writeFileAtomic(html, page);
    return { markdown, html };
  } catch (err) {
    rmSync(html, { force: true });
    return { markdown, htmlError: err instanceof Error ? err.message : String(err) };
  }
}
