/** The console's stylesheet: system colours in light and dark, readable from a phone to 1280 px and up. */
export const STYLES = `
:root { color-scheme: light dark; --bg:#f7f7f8; --fg:#17181c; --muted:#5a5f6b; --card:#fff; --line:#d9dbe1;
  --accent:#1f5fbf; --ok:#1a7f37; --bad:#b42318; --warn:#9a6700; --sel:#e7efff; --cur:#fff4cc; --code:#f0f1f4; }
@media (prefers-color-scheme: dark) { :root { --bg:#111317; --fg:#e8eaee; --muted:#a3a9b6; --card:#1a1d23; --line:#333843;
  --accent:#7fb0ff; --ok:#56d37a; --bad:#ff8a80; --warn:#e3b341; --sel:#1d2b45; --cur:#3a3216; --code:#22262e; } }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
a { color:var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid var(--accent); outline-offset:1px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:var(--card); padding:6px; z-index:9; }
header.top { display:flex; flex-wrap:wrap; gap:4px 16px; align-items:center; padding:8px 16px; background:var(--card); border-bottom:1px solid var(--line); }
header.top .brand { font-weight:700; margin-right:8px; text-decoration:none; color:var(--fg); }
header.top nav { display:flex; flex-wrap:wrap; gap:2px 12px; flex:1; }
header.top nav a { text-decoration:none; padding:4px 2px; }
header.top nav a[aria-current="page"] { font-weight:700; border-bottom:2px solid var(--accent); }
header.top .who { color:var(--muted); font-size:13px; display:flex; gap:8px; align-items:center; }
main { padding:16px; max-width:1400px; margin:0 auto; }
h1 { font-size:22px; margin:4px 0 12px; } h2 { font-size:17px; margin:18px 0 8px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(160px, 1fr)); gap:10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; overflow-wrap:anywhere; }
.card .n { font-size:24px; font-weight:700; } .card .l { color:var(--muted); font-size:13px; }
.grid2 { display:grid; grid-template-columns:1fr; gap:12px; } @media (min-width:1000px) { .grid2 { grid-template-columns:1fr 1fr; } }
.table-wrap { overflow-x:auto; background:var(--card); border:1px solid var(--line); border-radius:8px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:13px; color:var(--muted); font-weight:600; white-space:nowrap; }
tr.selected td { background:var(--sel); } tr.current td { background:var(--cur); }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.muted { color:var(--muted); } .small { font-size:13px; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; border:1px solid currentColor; white-space:nowrap; }
.s-completed, .s-resolved, .s-Healthy, .s-delivered, .s-enabled { color:var(--ok); } .s-failed, .s-unresolved, .s-Unhealthy { color:var(--bad); }
.s-running, .s-retry_issued, .s-in_progress, .s-pending, .s-retrying, .s-Degraded { color:var(--warn); } .s-archived, .s-cancelled, .s-skipped, .s-disabled { color:var(--muted); }
form.filters { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; margin:0 0 12px; }
form.filters label, form.stack label { display:flex; flex-direction:column; font-size:13px; color:var(--muted); gap:2px; }
input, select, button, textarea { font:inherit; color:inherit; }
input[type=text], input[type=search], input[type=password], input[type=date], input[type=number], select, textarea {
  background:var(--card); border:1px solid var(--line); border-radius:6px; padding:5px 8px; min-height:34px; }
button, .button { background:var(--accent); color:#fff; border:0; border-radius:6px; padding:6px 12px; min-height:34px; cursor:pointer; text-decoration:none; display:inline-block; }
@media (prefers-color-scheme: dark) { button, .button { color:#0b1220; } }
button.secondary, .button.secondary { background:transparent; color:var(--accent); border:1px solid var(--accent); }
button.danger { background:var(--bad); } button:disabled { opacity:.45; cursor:not-allowed; }
.actions { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin:8px 0; }
.pager { display:flex; gap:12px; margin:10px 0; }
pre, code { background:var(--code); border-radius:6px; font:13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre:focus-visible { outline:3px solid var(--accent); }
pre { padding:8px 10px; overflow:auto; max-height:360px; white-space:pre-wrap; word-break:break-word; }
dl.kv { display:grid; grid-template-columns:max-content 1fr; gap:4px 14px; margin:0; } dl.kv dt { color:var(--muted); } dl.kv dd { margin:0; word-break:break-all; }
.flash { padding:8px 12px; border-radius:6px; margin:12px 0; border:1px solid var(--line); background:var(--card); }
.flash.error { border-color:var(--bad); color:var(--bad); } .flash.ok { border-color:var(--ok); }
.secret { font:15px ui-monospace, monospace; padding:10px; background:var(--code); word-break:break-all; user-select:all; }
ol.timeline { list-style:none; padding:0; margin:0; border-left:2px solid var(--line); }
ol.timeline li { margin:0 0 10px 0; padding-left:14px; position:relative; }
ol.timeline li::before { content:""; position:absolute; left:-6px; top:6px; width:10px; height:10px; border-radius:50%; background:var(--accent); }
.diff-changed { background:rgba(255,180,0,.25); } .diff-changed th, .diff-changed td { color:var(--fg); }
@media (prefers-color-scheme: dark) { .diff-changed { background:rgba(255,180,0,.14); } } ins { background:rgba(40,200,90,.25); text-decoration:none; } del { background:rgba(255,80,80,.25); }
svg.chart text { fill:var(--muted); font-size:11px; } svg.chart .grid { stroke:var(--line); }
svg.spark { vertical-align:middle; } svg.spark path { fill:none; stroke:var(--accent); stroke-width:1.5; }
.progress { height:10px; background:var(--code); border-radius:5px; overflow:hidden; } .progress > div { height:100%; background:var(--ok); }
img.preview { max-width:100%; max-height:420px; border:1px solid var(--line); border-radius:6px; background:var(--code); }
textarea.code { font:13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; width:100%; box-sizing:border-box; }
.signin { max-width:420px; margin:10vh auto; } form.stack { display:flex; flex-direction:column; gap:10px; margin-top:12px; }
.plain { border:0; padding:0; margin:0; }
form.filters .checks label { flex-direction:row; align-items:center; gap:4px; color:var(--fg); }
figure { margin:0; }
.card.state-Unhealthy, tr.state-Unhealthy td:first-child { border-left:6px solid var(--bad); }
.card.state-Degraded, tr.state-Degraded td:first-child { border-left:6px solid var(--warn); }
caption { text-align:left; padding:6px 8px; }
.kbd { font-size:12px; color:var(--muted); }
@media (max-width:640px) { main { padding:10px; } .hide-narrow { display:none; } th, td { padding:5px 4px; }
  header.top { padding:6px 10px; gap:2px 10px; }
  header.top nav { flex-wrap:nowrap; overflow-x:auto; flex-basis:100%; order:3; font-size:14px; }
  header.top nav a { white-space:nowrap; }
  header.top .who span { display:none; } }
`;
