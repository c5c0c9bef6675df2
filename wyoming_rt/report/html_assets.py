"""The style sheet and the one script of the HTML pages (inline: the page works offline)."""

from __future__ import annotations

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;padding:0 24px;color:#222;max-width:1400px}
h1{margin:0 0 4px;font-size:28px} h2{margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px} h3{margin:16px 0 6px}
.pass{color:#1a7f37} .fail{color:#cf222e} .muted{color:#777;font-size:12px} .warning{color:#9a6700} .error{color:#cf222e}
.verdict{display:inline-block;padding:2px 14px;border-radius:6px;color:#fff} .verdict.pass{background:#1a7f37} .verdict.fail{background:#cf222e}
.badge{font-weight:600} .badge.fail{color:#cf222e} .badge.pass{color:#1a7f37}
table{border-collapse:collapse;margin:8px 0 16px} td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top} td ul{margin:2px 0;padding-left:18px}
th{background:#f6f8fa} td.num,th.num{text-align:right} td.num{white-space:nowrap} .scroll{overflow-x:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:0 24px}
.kv{columns:3 300px;margin:4px 0} .kv div{break-inside:avoid;padding:1px 0} .kv b{font-weight:600}
.figures{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0} .figures div{border:1px solid #ddd;border-radius:6px;padding:6px 12px}
.figures b{display:block;font-size:18px}
svg.chart{display:block;margin:8px 0 16px;max-width:100%} svg text{font:12px system-ui,sans-serif;fill:#333}
svg text.value{font-size:11px} svg text.axis{fill:#777}
del{background:#ffd7d5;color:#82071e;text-decoration:line-through} ins{background:#ccffd8;color:#055d20;text-decoration:none}
tr.failing td{background:#fff5f5} tr.failing td:first-child{border-left:4px solid #cf222e} .same{color:#666}
#utterances th{cursor:pointer;user-select:none} #utterances th[data-dir=asc]::after{content:" ▲"} #utterances th[data-dir=desc]::after{content:" ▼"}
#utterances td.text{min-width:300px} #utterances td.id{max-width:170px;overflow-wrap:anywhere;font-size:13px} .line{display:block} .line i{color:#777;font-style:normal;font-size:12px}
.player{display:flex;align-items:center;gap:4px;font-size:12px;color:#555;margin:1px 0} .player span{width:22px}
audio{height:30px;width:190px}
.controls{display:flex;gap:16px;align-items:center;margin:8px 0} .controls input[type=search]{width:280px;padding:4px}
.legend span{display:inline-block;margin-right:14px;font-size:12px} .legend i{display:inline-block;width:12px;height:10px;margin-right:4px}
details summary{cursor:pointer}
"""

SCRIPT = """
(function () {
  const table = document.getElementById("utterances");
  if (!table) { document.body.dataset.js = "ready"; return; }
  const body = table.tBodies[0], text = document.getElementById("filter"), failing = document.getElementById("failing-only");
  const shown = document.getElementById("shown");
  function apply() {
    const needle = text.value.trim().toLowerCase();
    let count = 0;
    for (const row of body.rows) {
      const hide = (failing.checked && !row.classList.contains("failing")) || (needle && !row.textContent.toLowerCase().includes(needle));
      row.hidden = hide;
      if (!hide) count++;
    }
    shown.textContent = count;
  }
  function key(row, i) {
    const cell = row.cells[i];
    if (cell.dataset.v === undefined) return cell.textContent.trim().toLowerCase();
    return cell.dataset.v === "" ? null : parseFloat(cell.dataset.v);
  }
  function sortBy(i, dir) {
    const th = table.tHead.rows[0].cells[i];
    for (const h of table.tHead.rows[0].cells) delete h.dataset.dir;
    th.dataset.dir = dir;
    const sign = dir === "asc" ? 1 : -1;
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = key(a, i), y = key(b, i);
      if (x === null || y === null) return (x === null) - (y === null);  // not measured: always last
      return (x < y ? -1 : x > y ? 1 : 0) * sign;
    });
    for (const row of rows) body.appendChild(row);
  }
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
    th.addEventListener("click", () => sortBy(i, th.dataset.dir === "asc" ? "desc" : "asc"));
  });
  text.addEventListener("input", apply);
  failing.addEventListener("change", apply);
  // The state can come in the address: #filter=kitchen&failing=1&sort=wer&dir=desc
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has("filter")) text.value = hash.get("filter");
  if (hash.get("failing") === "1") failing.checked = true;
  if (hash.has("sort")) {
    const i = Array.from(table.tHead.rows[0].cells).findIndex(th => th.dataset.key === hash.get("sort"));
    if (i >= 0) sortBy(i, hash.get("dir") === "desc" ? "desc" : "asc");
  }
  apply();
  document.body.dataset.js = "ready";
})();
"""
