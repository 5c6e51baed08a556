export type { ReportOptions, ReportRecord } from './markdown';
export { markdownReport } from './markdown';
export type { HtmlReportOptions } from './html';
export { escapeHtml, htmlReport } from './html';
export type { Comparison, CompareOptions, MetricComparison, Regression, Verdict } from './compare';
export { compareResults } from './compare';
