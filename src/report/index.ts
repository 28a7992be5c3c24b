// Reports: the Report document built from an Inspection and the catalog, and its renderers
// (JSON with a published schema, Markdown, self-contained HTML, virt-inspector XML).

export { buildReport, REPORT_VERSION, type Report, type ReportOs, type ReportFact } from './report.js';
export { renderJson, renderMarkdown, VERDICT_LABEL, verdictLabel } from './markdown.js';
export { reportSchema, reportSchemaPath } from './schema.js';
export { renderHtml, escapeHtml } from './html.js';
export { renderInspectorXml, libguestfsDevice } from './xml.js';
