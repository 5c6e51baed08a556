export type { ReportOptions, ReportRecord } from './markdown';
export { markdownReport } from './markdown';
