//! `kiln build --analyze`: `report.html`, a self-contained page (no network: styles, script
//! and data inline) with a treemap of outputs and the modules inside bundles, what each page
//! loads, the budgets with their status, and (with `--lab`, or from `kiln lab --analyze`) each
//! page's lab metrics, filmstrip, LCP element and largest unused files; and `meta.json` in
//! esbuild's metafile shape, so tools written for esbuild (bundle analyzers, size viewers) can
//! read kiln's builds.

use serde_json::{json, Map, Value};

use crate::budget::Check;
use crate::report::Report;

/// esbuild's metafile: `inputs` (source files, their size and imports) and `outputs` (built
/// files, their size, and the bytes each input takes in them).
pub fn meta_json(report: &Report) -> String {
    let prefix = report.out_dir.trim_end_matches('/');
    let mut inputs = Map::new();
    let mut outputs = Map::new();
    for f in &report.files {
        let mut contributed = Map::new();
        if f.modules.is_empty() {
            if let Some(src) = &f.src {
                inputs.entry(src.clone()).or_insert_with(|| json!({ "bytes": f.size, "imports": [] }));
                contributed.insert(src.clone(), json!({ "bytesInOutput": f.size }));
            }
        }
        for m in &f.modules {
            let imports: Vec<Value> = m.imports.iter().map(|i| json!({ "path": i, "kind": "import-statement" })).collect();
            inputs.entry(m.path.clone()).or_insert_with(|| json!({ "bytes": m.bytes, "imports": imports }));
            contributed.insert(m.path.clone(), json!({ "bytesInOutput": m.bytes_in_output }));
        }
        let mut out = json!({ "bytes": f.size, "inputs": contributed, "imports": [], "exports": [] });
        if f.entry && !f.modules.is_empty() {
            out["entryPoint"] = json!(f.src);
        }
        outputs.insert(format!("{prefix}/{}", f.path), out);
    }
    serde_json::to_string_pretty(&json!({ "inputs": inputs, "outputs": outputs })).expect("JSON serializes") + "\n"
}

/// The analysis page.
pub fn report_html(report: &Report, check: Option<&Check>, lab: Option<&crate::lab::LabReport>) -> String {
    let data = json!({
        "outDir": report.out_dir,
        "files": report.files,
        "pages": report.pages,
        "budgets": check.map(|c| &c.outcomes),
        "cssPruned": report.css_pruned,
        "lab": lab.map(|l| json!({
            "profile": l.profile,
            "runs": l.runs,
            "pages": l.pages.iter().map(|p| {
                let typical = &p.runs[p.typical];
                let mut unused: Vec<&crate::lab::metrics::Unused> = typical.unused_js.iter().chain(&typical.unused_css).collect();
                unused.sort_by_key(|u| std::cmp::Reverse(u.unused));
                unused.truncate(5);
                json!({
                    "page": p.page,
                    "median": p.median,
                    "depends": p.depends,
                    "lcpFile": typical.lcp_file,
                    "unused": unused,
                    "problems": crate::lab::problems(p),
                    "filmstrip": typical.filmstrip,
                })
            }).collect::<Vec<_>>(),
        })),
    });
    // `</` cannot end the script element early once escaped.
    let data = data.to_string().replace("</", "<\\/");
    PAGE.replace("/*DATA*/null", &data)
}

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kiln build analysis</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
  header { padding: 12px 20px; background: #23272f; color: #fff; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 16px; margin: 0; }
  header button { background: #3b4252; color: #fff; border: 0; padding: 4px 10px; border-radius: 4px; cursor: pointer; }
  header button.on { background: #e07a2f; }
  main { padding: 16px 20px; }
  #map { position: relative; width: 100%; height: 60vh; min-height: 360px; background: #fff; border: 1px solid #ccc; }
  .box { position: absolute; box-sizing: border-box; overflow: hidden; border: 1px solid #fff; font-size: 11px; padding: 2px 4px; color: #111; }
  .box.output { border: 2px solid #23272f; }
  .box.module { opacity: 0.92; }
  .script { background: #f6c26b; } .stylesheet { background: #8cc7f5; } .document { background: #b5e3a1; }
  .image { background: #e4b0d9; } .font { background: #c9c0f2; } .media { background: #f2a7a0; } .other { background: #d8d8d8; }
  table { border-collapse: collapse; margin: 12px 0 24px; }
  th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #ddd; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .strip { display: flex; gap: 6px; overflow-x: auto; margin: 8px 0; }
  .strip figure { margin: 0; text-align: center; font-size: 11px; color: #555; }
  .strip img { display: block; max-height: 160px; border: 1px solid #ccc; }
  #lab h3 { margin: 20px 0 4px; font-size: 15px; }
  #lab p { margin: 4px 0; }
  .pass { color: #1a7f37; } .warn { color: #9a6700; } .fail { color: #cf222e; font-weight: 600; }
</style>
</head>
<body>
<header><h1>kiln build analysis</h1><span id="total"></span>
  <span>size: <button data-m="size">raw</button> <button data-m="gzip">gzip</button> <button data-m="brotli" class="on">brotli</button></span>
</header>
<main>
  <div id="map" role="img" aria-label="Treemap of the build's files and the modules in its bundles"></div>
  <h2>Pages</h2><table id="pages"><thead><tr><th>page</th><th>loads at start</th><th class="num">raw</th><th class="num">gzip</th><th class="num">brotli</th><th>loads later (import())</th><th class="num">brotli</th><th class="num">returning visitor: deltas / twins only</th></tr></thead><tbody></tbody></table>
  <h2>CSS pruning</h2><table id="pruned"><thead><tr><th>stylesheet</th><th class="num">rules</th><th class="num">removed</th><th class="num">before</th><th class="num">after</th><th>removed selectors</th></tr></thead><tbody></tbody></table>
  <h2>Lab</h2><div id="lab"></div>
  <h2>Budgets</h2><table id="budgets"><thead><tr><th>status</th><th>budget</th><th class="num">value</th><th class="num">limit</th><th class="num">delta</th><th>why</th></tr></thead><tbody></tbody></table>
</main>
<script>
const data = /*DATA*/null;
let measure = "brotli";
const kb = (b) => (b / 1000).toFixed(2) + " kB";
const sizeOf = (f) => (measure === "size" ? f.size : (f[measure] ?? f.size));
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

// Squarified treemap (Bruls, Huizing, van Wijk): lays `items` ({value}) out in the rectangle.
function squarify(items, x, y, w, h) {
  const total = items.reduce((s, i) => s + i.value, 0);
  const out = [];
  if (total <= 0 || w <= 0 || h <= 0) return out;
  const scale = (w * h) / total;
  let rest = items.filter((i) => i.value > 0).map((i) => ({ item: i, area: i.value * scale }));
  while (rest.length) {
    const short = Math.min(w, h);
    let row = [rest[0]], worst = ratio(row, short), k = 1;
    while (k < rest.length) {
      const next = ratio(row.concat([rest[k]]), short);
      if (next > worst) break;
      row.push(rest[k]); worst = next; k++;
    }
    const sum = row.reduce((s, r) => s + r.area, 0);
    const thick = sum / short;
    let offset = 0;
    for (const r of row) {
      const len = r.area / thick;
      if (w >= h) out.push({ item: r.item, x, y: y + offset, w: thick, h: len });
      else out.push({ item: r.item, x: x + offset, y, w: len, h: thick });
      offset += len;
    }
    if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
    rest = rest.slice(k);
  }
  return out;
}
function ratio(row, side) {
  const sum = row.reduce((s, r) => s + r.area, 0);
  const max = Math.max(...row.map((r) => r.area)), min = Math.min(...row.map((r) => r.area));
  return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
}

function draw() {
  const map = document.getElementById("map");
  map.textContent = "";
  const W = map.clientWidth, H = map.clientHeight;
  const files = data.files.map((f) => ({ f, value: sizeOf(f) })).sort((a, b) => b.value - a.value);
  document.getElementById("total").textContent =
    data.files.length + " files, " + kb(files.reduce((s, i) => s + i.value, 0)) + " (" + (measure === "size" ? "raw" : measure) + ")";
  for (const r of squarify(files, 0, 0, W, H)) {
    const f = r.item.f;
    const box = document.createElement("div");
    box.className = "box output " + f.group;
    Object.assign(box.style, { left: r.x + "px", top: r.y + "px", width: r.w + "px", height: r.h + "px" });
    box.title = f.path + (f.src ? " ← " + f.src : "") + "\nraw " + kb(f.size) + ", gzip " + kb(f.gzip ?? f.size) + ", brotli " + kb(f.brotli ?? f.size);
    map.appendChild(box);
    const modules = (f.modules || []).map((m) => ({ m, value: m.bytes_in_output })).sort((a, b) => b.value - a.value);
    if (modules.length) {
      const inner = squarify(modules, r.x + 2, r.y + 16, Math.max(r.w - 4, 0), Math.max(r.h - 18, 0));
      for (const q of inner) {
        const mb = document.createElement("div");
        mb.className = "box module " + f.group;
        Object.assign(mb.style, { left: q.x + "px", top: q.y + "px", width: q.w + "px", height: q.h + "px" });
        mb.title = q.item.m.path + "\n" + kb(q.item.m.bytes_in_output) + " in " + f.path + " (source " + kb(q.item.m.bytes) + ")";
        if (q.w > 60 && q.h > 14) mb.textContent = q.item.m.path.split("/").pop();
        map.appendChild(mb);
      }
    }
    const label = document.createElement("span");
    if (r.w > 50 && r.h > 14) { label.textContent = f.path.split("/").pop(); box.appendChild(label); }
  }
}

function tables() {
  const byPath = new Map(data.files.map((f) => [f.path, f]));
  const pages = document.querySelector("#pages tbody");
  for (const p of data.pages) {
    const fs = p.initial.map((x) => byPath.get(x)).filter(Boolean);
    const sum = (k) => fs.reduce((s, f) => s + (k === "size" ? f.size : (f[k] ?? f.size)), 0);
    const later = (p.lazy || []).map((x) => byPath.get(x)).filter(Boolean);
    const laterBr = later.reduce((s, f) => s + (f.brotli ?? f.size), 0);
    pages.insertAdjacentHTML("beforeend", "<tr><td>" + esc(p.page) + "</td><td>" + fs.map((f) => esc(f.path)).join("<br>") +
      "</td><td class=num>" + kb(sum("size")) + "</td><td class=num>" + kb(sum("gzip")) + "</td><td class=num>" + kb(sum("brotli")) +
      "</td><td>" + later.map((f) => esc(f.path)).join("<br>") + "</td><td class=num>" + (later.length ? kb(laterBr) : "-") +
      "</td><td class=num>" + (p.returning ? kb(p.returning.deltas) + " / " + kb(p.returning.twins) : "-") + "</td></tr>");
  }
  const pruned = document.querySelector("#pruned tbody");
  if (!data.cssPruned.length) pruned.innerHTML = "<tr><td colspan=6>css.prune is off.</td></tr>";
  for (const p of data.cssPruned) {
    const list = p.removed.slice(0, 200).map(esc).join(" ") + (p.removed.length > 200 ? " …" : "");
    pruned.insertAdjacentHTML("beforeend", "<tr><td>" + esc(p.src) + (p.inline ? " &lt;style&gt;" : "") + "</td><td class=num>" +
      p.rules_before + "</td><td class=num>" + p.rules_removed + "</td><td class=num>" + kb(p.bytes_before) + "</td><td class=num>" +
      kb(p.bytes_after) + "</td><td><details><summary>" + p.removed.length + "</summary>" + list + "</details></td></tr>");
  }
  const budgets = document.querySelector("#budgets tbody");
  if (!data.budgets) budgets.innerHTML = "<tr><td colspan=6>No budgets.toml was checked.</td></tr>";
  // Values by what they measure: bytes (raw, gzip, brotli, over the wire), ms, a CLS score in
  // thousandths, a count.
  const show = (v, m) => m === "ms" ? v + " ms" : m === "shift" ? (v / 1000).toFixed(3) : m === "count" ? String(v) : kb(v);
  for (const b of data.budgets || []) {
    const delta = b.delta == null ? "-" : (b.delta >= 0 ? "+" : "-") + show(Math.abs(b.delta), b.measure);
    const unit = ["raw", "gzip", "brotli"].includes(b.measure) ? " " + b.measure : "";
    budgets.insertAdjacentHTML("beforeend", "<tr><td class=" + b.status + ">" + b.status + "</td><td>" + esc(b.subject) +
      "</td><td class=num>" + show(b.value, b.measure) + unit + "</td><td class=num>" + (b.limit == null ? "-" : show(b.limit, b.measure)) +
      "</td><td class=num>" + delta + "</td><td>" + esc(b.reasons.join("; ")) + "</td></tr>");
  }
  const lab = document.querySelector("#lab");
  if (!data.lab) lab.innerHTML = "<p>No lab run: <code>kiln build --lab --analyze</code> or <code>kiln lab --analyze</code> adds one.</p>";
  else lab.insertAdjacentHTML("beforeend", "<p>" + data.lab.pages.length + " pages, " + data.lab.runs + " runs each, " + esc(data.lab.profile) + " profile; medians.</p>");
  const ms = (v) => v == null ? "-" : Math.round(v) + " ms";
  const list = (files) => files.length ? files.map(esc).join(", ") : "nothing";
  for (const p of (data.lab && data.lab.pages) || []) {
    const m = p.median;
    let html = "<h3>" + esc(p.page) + "</h3><table><thead><tr><th>FCP</th><th>LCP</th><th>CLS</th><th>TBT</th><th>bytes</th><th>requests</th><th>unused JS</th><th>unused CSS</th></tr></thead><tbody><tr>" +
      "<td class=num>" + ms(m.fcp) + "</td><td class=num>" + ms(m.lcp) + "</td><td class=num>" + m.cls.toFixed(3) + "</td><td class=num>" + ms(m.tbt) +
      "</td><td class=num>" + kb(m.bytes) + "</td><td class=num>" + m.requests + "</td><td class=num>" + kb(m.unused_js) + "</td><td class=num>" + kb(m.unused_css) + "</td></tr></tbody></table>";
    if (p.filmstrip.length) {
      html += "<div class=strip>" + p.filmstrip.map((f) => "<figure><img alt='the page at " + Math.round(f.t) + " ms' src='data:image/jpeg;base64," + f.jpeg + "'><figcaption>" + Math.round(f.t) + " ms</figcaption></figure>").join("") + "</div>";
    }
    html += "<p>LCP element: <code>" + esc(p.depends.lcp_element || "none") + "</code>" + (p.lcpFile ? " (" + esc(p.lcpFile) + ")" : "") + "</p>";
    html += "<p>First paint waited for: " + list(p.depends.fcp) + "</p><p>LCP waited for: " + list(p.depends.lcp) + "</p>";
    html += "<p>Scripts that ran (TBT): " + list(p.depends.tbt) + "</p>";
    if (p.depends.cls.length) html += "<p>Moved (CLS): " + list(p.depends.cls) + "</p>";
    if (p.unused.length) html += "<p>Largest unused: " + p.unused.map((u) => esc(u.file) + " " + kb(u.unused) + " of " + kb(u.total)).join(", ") + "</p>";
    for (const pr of p.problems) html += "<p class=fail>" + esc(pr.kind.replace("_", " ")) + ": " + esc(pr.message) + "</p>";
    lab.insertAdjacentHTML("beforeend", html);
  }
}

for (const b of document.querySelectorAll("header button")) {
  b.addEventListener("click", () => {
    measure = b.dataset.m;
    for (const o of document.querySelectorAll("header button")) o.classList.toggle("on", o === b);
    draw();
  });
}
window.addEventListener("resize", draw);
tables();
draw();
</script>
</body>
</html>
"##;
