/** The report's stylesheet (inline: the file makes no requests). */
export const STYLES = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1120px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta,.hint{color:#5a6273;margin:0 0 12px}.meta code{font-size:12px;word-break:break-all}.hint{font-size:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.card{border:1px solid #dde1ea;border-radius:8px;padding:10px 12px;background:#fafbfd}
.card b{display:block;font-size:18px}.card span{color:#5a6273;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px}
.chart{margin:0;border:1px solid #dde1ea;border-radius:8px;padding:8px}.chart figcaption{font-weight:600}
svg text{font:11px system-ui,sans-serif;fill:#5a6273}svg text.unit{font-size:10px;fill:#8a91a0}
.grid{stroke:#eef0f5}.axis{stroke:#9aa1b0}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:6px 0}
.controls input{padding:4px 8px;border:1px solid #c9cfdb;border-radius:6px;min-width:220px}
.controls button{min-width:32px;padding:3px 8px;border:1px solid #c9cfdb;border-radius:6px;background:#fff;cursor:pointer}
#view-range,#agent-count{color:#5a6273;font-size:12px}
.kinds{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0;font-size:12px}.kinds label{cursor:pointer;user-select:none}
.kinds i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 3px;vertical-align:middle}
.timeline{border:1px solid #dde1ea;border-radius:8px;overflow:hidden}
#tl-axis{display:block;background:#fafbfd}
.tl-body{position:relative;height:440px}
#tl-canvas{position:absolute;left:0;top:0;pointer-events:none}
#tl-scroll{position:absolute;inset:0;overflow-y:auto;overflow-x:hidden;cursor:grab}
#tl-tip{position:absolute;max-width:260px;background:#1d2330;color:#fff;font-size:12px;padding:4px 8px;border-radius:4px;pointer-events:none;z-index:2}
#agent-detail{margin:10px 0;border:1px solid #dde1ea;border-radius:8px;padding:8px 12px;max-height:420px;overflow:auto}
#agent-detail h3{margin:0 0 6px;font-size:15px}#agent-detail h4{margin:8px 0 2px;font-size:13px}
#agent-detail dl{display:grid;grid-template-columns:repeat(6,auto 1fr);gap:2px 8px;margin:0;font-size:12px}
#agent-detail dt{color:#5a6273}#agent-detail dd{margin:0;font-weight:600}
#agent-detail ol{margin:0;padding-left:22px;font-size:12px;columns:2}
.atable{border:1px solid #dde1ea;border-radius:8px;overflow:hidden;font-size:12px}
.thead,.trow{display:grid;grid-template-columns:150px repeat(12,minmax(0,1fr));align-items:center;height:22px}
.thead{background:#fafbfd;border-bottom:1px solid #dde1ea;font-weight:600}
.thead button{border:0;background:none;font:inherit;cursor:pointer;text-align:right;padding:0 6px;white-space:nowrap;overflow:hidden}
.thead button[aria-sort=descending]::after{content:" ▼"}.thead button[aria-sort=ascending]::after{content:" ▲"}
.trow span{text-align:right;padding:0 6px;white-space:nowrap;overflow:hidden}.trow span.name,.thead .name{text-align:left;padding-left:8px}
.trow{cursor:pointer;border-bottom:1px solid #f3f4f8}.trow:hover{background:#f3f6fd}.trow.selected{background:#fff4c2}
#table-scroll{height:330px;overflow-y:auto}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eef0f5;padding:4px 12px;text-align:left}
`;
