// The review dossier as one self-contained HTML file: inline CSS and JS, nothing fetched. Everything
// a reviewer must read (verdict, traces and their gaps, ranked changes with their evidence,
// violations, the static/observed join, the static diff, the process tree) is written as HTML here,
// so it reads without JS too; the inline script adds the change-table filters, and the timeline
// per family is drawn by d3 (Debian libjs-d3, inlined from GLASSBOX_D3_JS at render time). The
// report's JSON (review_render.cpp) is embedded for the script and for anyone saving the page.
#include "engine.hpp"
#include "review_render.hpp"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#ifndef GLASSBOX_D3_JS
#define GLASSBOX_D3_JS "/usr/share/javascript/d3/d3.min.js"
#endif

namespace glassbox::analysis {

namespace {

std::string esc(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

// Text inside <script>: "</" would end the element.
std::string script_safe(std::string s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
            out += "<\\/";
            ++i;
            continue;
        }
        out.push_back(s[i]);
    }
    return out;
}

std::string read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

constexpr const char* kCss = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1d232a;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:12px 24px;max-width:1400px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:12px 0;padding:10px 16px}
h2{font-size:16px;margin:4px 0 10px}
#verdict .line{font-size:18px;font-weight:600}
.badge{display:inline-block;padding:3px 10px;border-radius:12px;margin:4px 6px 4px 0;font-weight:600;font-size:13px}
.bad{background:#fde2e1;color:#a4161a}.good{background:#def7e5;color:#146c2e}.na{background:#eceff3;color:#555}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e7eaee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f5;position:sticky;top:0}
td.num{text-align:right}code{font:12px ui-monospace,monospace;word-break:break-all}
tr.new td.risk{color:#a4161a;font-weight:700}tr.gone{color:#666}
tr.outside td:first-child{border-left:4px solid #a4161a}
.filters{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:8px;align-items:center}
.filters label{font-size:13px}
.evidence{font-size:12px;color:#333}.why{font-size:11px;color:#666}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px;border-left:1px dashed #c3c9d0}
ul.tree{border-left:none;padding-left:0}ul.tree li{margin:2px 0}
.proc{font-weight:600}.argv{color:#555;font:12px ui-monospace,monospace}
.gap{color:#a4161a}.muted{color:#777}
.chart{margin:6px 0}.chart .label{font-size:12px;font-weight:600}
.chart svg{background:#fafbfc;border:1px solid #eceff3}
.chart path.area{fill:#5b8def;opacity:.8}.chart .axis text{font-size:10px}
.chart .axis path,.chart .axis line{fill:none;stroke:#999;shape-rendering:crispEdges}
:target{outline:3px solid #f4b400}
)css";

// Filters on the change table, and the timeline charts drawn with d3 (v3 API, Debian's libjs-d3).
constexpr const char* kScript = R"js(
(function(){
  var data = JSON.parse(document.getElementById('dossier-data').textContent);
  function applyFilters(){
    var text = document.getElementById('f-text').value.toLowerCase();
    var change = document.getElementById('f-change').value;
    var group = document.getElementById('f-group').value;
    var minRisk = +document.getElementById('f-risk').value || 0;
    var outside = document.getElementById('f-outside').checked;
    var shown = 0;
    document.querySelectorAll('#changes tbody tr.change').forEach(function(tr){
      var ok = (!text || tr.textContent.toLowerCase().indexOf(text) >= 0) &&
               (!change || tr.dataset.change === change) &&
               (!group || tr.dataset.group === group) &&
               (+tr.dataset.risk >= minRisk) &&
               (!outside || tr.dataset.outside === 'true');
      tr.style.display = ok ? '' : 'none';
      if (ok) shown++;
    });
    document.getElementById('f-count').textContent = shown + ' of ' + data.changes.length + ' shown';
  }
  ['f-text','f-change','f-group','f-risk','f-outside'].forEach(function(id){
    var el = document.getElementById(id);
    if (el) { el.addEventListener('input', applyFilters); el.addEventListener('change', applyFilters); }
  });
  // A link can carry a filter: dossier.html#filter=curl opens with the search filled in.
  var m = /^#filter=(.*)$/.exec(location.hash);
  if (m && document.getElementById('f-text')) document.getElementById('f-text').value = decodeURIComponent(m[1]);
  if (document.getElementById('f-text')) applyFilters();
  if (typeof d3 === 'undefined') return;
  var holder = d3.select('#timeline-charts');
  holder.select('.fallback').remove();
  data.timelines.forEach(function(t){
    var box = holder.append('div').attr('class','chart-group');
    box.append('h3').style('font-size','14px').text(t.side + ' run: ' + t.trace);
    Object.keys(t.families).forEach(function(fam){
      var counts = t.families[fam];
      var w = 640, h = 60, m = {l:48, r:8, t:4, b:18};
      var div = box.append('div').attr('class','chart').attr('data-family', fam);
      div.append('div').attr('class','label').text(fam + ' (' + d3.sum(counts) + ' events)');
      var svg = div.append('svg').attr('width', w).attr('height', h);
      var x = d3.scale.linear().domain([0, counts.length * t.bin_ns / 1e9]).range([m.l, w - m.r]);
      var y = d3.scale.linear().domain([0, Math.max(1, d3.max(counts))]).range([h - m.b, m.t]);
      var area = d3.svg.area()
        .x(function(d, i){ return x(i * t.bin_ns / 1e9); })
        .y0(h - m.b).y1(function(d){ return y(d); }).interpolate('step-after');
      svg.append('path').attr('class','area').attr('d', area(counts.concat([counts[counts.length-1] || 0])));
      svg.append('g').attr('class','axis').attr('transform','translate(0,' + (h - m.b) + ')')
        .call(d3.svg.axis().scale(x).orient('bottom').ticks(6).tickFormat(function(s){ return s + 's'; }));
      svg.append('g').attr('class','axis').attr('transform','translate(' + m.l + ',0)')
        .call(d3.svg.axis().scale(y).orient('left').ticks(2));
    });
  });
})();
)js";

void tree_html(std::string& out, const std::vector<review_process>& procs,
               const std::multimap<std::int64_t, std::size_t>& children, std::size_t i, int depth) {
    const auto& p = procs[i];
    out += fmt::format("<li id=\"p-{}\"><span class=\"proc\">{}</span> <span class=\"muted\">pid {} +{:.3f}s</span>", p.pid,
                       esc(p.name), p.pid, static_cast<double>(p.ts) / 1e9);
    if (!p.argv.empty())
        out += fmt::format(" <span class=\"argv\">{}</span>", esc(p.argv));
    auto [b, e] = children.equal_range(p.pid);
    if (b != e && depth < 64) {
        out += "<ul>";
        for (auto it = b; it != e; ++it)
            tree_html(out, procs, children, it->second, depth + 1);
        out += "</ul>";
    }
    out += "</li>";
}

std::string badge(bool bad, std::string_view text, std::string_view id) {
    return fmt::format("<span class=\"badge {}\" id=\"{}\">{}</span>", bad ? "bad" : "good", id, esc(text));
}

} // namespace

std::string render_review_html(const review_report& r) {
    std::string out;
    out.reserve(64 * 1024 + r.changes.size() * 600);
    out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
    out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
           "script-src 'unsafe-inline'; img-src data:\">";
    out += fmt::format("<title>glassbox review: {}</title><style>{}</style></head><body>", esc(r.title), kCss);
    out += fmt::format("<header><h1>glassbox review: {}</h1></header><main>", esc(r.title));

    // Verdict.
    out += fmt::format("<section id=\"verdict\" data-exit-status=\"{}\"><h2>Verdict</h2><div class=\"line\">{}</div><div>",
                       r.exit_status(), esc(r.verdict_line()));
    out += badge(r.new_behaviour, r.new_behaviour ? "new behaviour" : "no new behaviour", "v-behaviour");
    if (!r.profile.empty())
        out += badge(r.violations, r.violations ? "profile violations" : "within the profile", "v-profile");
    else
        out += "<span class=\"badge na\" id=\"v-profile\">no profile given</span>";
    if (r.static_compared)
        out += badge(r.new_static_capability, r.new_static_capability ? "new static capability" : "no new static capability",
                     "v-static");
    else
        out += "<span class=\"badge na\" id=\"v-static\">packages not compared</span>";
    out += badge(r.integrity_gaps, r.integrity_gaps ? "trace gaps" : "traces complete", "v-integrity");
    out += "</div></section>";

    // Traces.
    out += "<section id=\"traces\"><h2>Runs and their integrity</h2><table><thead><tr><th>Side</th><th>Trace</th>"
           "<th>Events</th><th>Duration</th><th>Complete</th><th>Lost</th><th>Run roots</th><th>Gaps</th></tr></thead><tbody>";
    for (const auto& t : r.traces) {
        std::string roots, gaps;
        for (const auto& [n, p] : t.info.roots)
            roots += fmt::format("<code>{}</code>={}<br>", esc(n), esc(p));
        for (const auto& g : t.gaps)
            gaps += fmt::format("<div class=\"gap\">{}</div>", esc(g));
        out += fmt::format("<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{:.3f}s</td>"
                           "<td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                           t.side, esc(t.info.name), t.info.events, static_cast<double>(t.info.duration_ns) / 1e9,
                           t.info.complete ? "yes" : "<b class=\"gap\">no</b>", t.info.lost, roots, gaps);
    }
    out += "</tbody></table>";
    for (const auto& w : r.warnings)
        out += fmt::format("<div class=\"gap\">warning: {}</div>", esc(w));
    out += "</section>";

    // Changes.
    out += fmt::format("<section id=\"changes\"><h2>Changes, ranked by risk ({})</h2>", r.changes.size());
    if (r.changes.empty()) {
        out += "<p id=\"no-change\">No change in behaviour between the old and the new runs.</p>";
    } else {
        out += "<div class=\"filters\"><label>Search <input id=\"f-text\" type=\"search\"></label>"
               "<label>Change <select id=\"f-change\"><option value=\"\">all</option><option value=\"new\">new</option>"
               "<option value=\"gone\">gone</option></select></label>"
               "<label>Family <select id=\"f-group\"><option value=\"\">all</option><option>privileged</option>"
               "<option>network</option><option>processes</option><option>files</option><option>unknown</option></select></label>"
               "<label>Min risk <input id=\"f-risk\" type=\"number\" min=\"0\" max=\"200\" value=\"0\" style=\"width:5em\"></label>"
               "<label><input id=\"f-outside\" type=\"checkbox\"> outside the profile only</label>"
               "<span id=\"f-count\" class=\"muted\"></span></div>";
        out += "<table><thead><tr><th>#</th><th>Risk</th><th>Change</th><th>Section</th><th>Behaviour</th><th>Operation</th>"
               "<th>Runs</th><th>Events</th><th>Evidence</th><th>Static view</th></tr></thead><tbody>";
        for (const auto& c : r.changes) {
            std::string why;
            for (const auto& w : c.why)
                why += (why.empty() ? "" : "; ") + w;
            out += fmt::format(
                "<tr id=\"{}\" class=\"change {}{}\" data-change=\"{}\" data-group=\"{}\" data-risk=\"{}\" data-outside=\"{}\">"
                "<td><a href=\"#{}\">{}</a></td><td class=\"num risk\">{}<div class=\"why\">{}</div></td><td>{}</td><td>{}</td>"
                "<td><code>{}</code>{}</td><td><code>{}</code></td><td>{}/{}{}</td><td class=\"num\">{}</td>"
                "<td class=\"evidence\"><a class=\"ev\" href=\"{}\">{}:{}</a> +{:.6f}s<br>"
                "<a href=\"#p-{}\">{}</a> [pid {}]</td><td>{}</td></tr>",
                c.id, c.change, c.outside_profile ? " outside" : "", c.change, section_group(c.sec), c.risk,
                c.outside_profile ? "true" : "false", c.id, c.id, c.risk, esc(why), c.change, section_name(c.sec),
                esc(c.subject),
                c.first.example != c.subject ? fmt::format("<div class=\"muted\">e.g. <code>{}</code></div>", esc(c.first.example))
                                             : "",
                esc(c.first.operation), c.runs_seen, c.runs_total, c.runs_seen == c.runs_total ? " (every run)" : " (some runs)",
                c.count, esc("file://" + std::filesystem::absolute(c.first.file).string()), esc(c.first.file), c.first.line,
                static_cast<double>(c.first.ts) / 1e9, c.first.pid, esc(c.first.chain.empty() ? c.first.comm : c.first.chain),
                c.first.pid, esc(c.static_view));
        }
        out += "</tbody></table>";
    }
    out += "</section>";

    // Violations.
    out += "<section id=\"violations\"><h2>Profile violations in the new runs</h2>";
    if (r.profile.empty())
        out += "<p class=\"muted\">No profile was given.</p>";
    else if (r.violations_list.empty())
        out += fmt::format("<p>Every behaviour of the new runs is allowed by <code>{}</code>.</p>", esc(r.profile));
    else {
        out += fmt::format("<p>Profile <code>{}</code>.</p><table><thead><tr><th>Section</th><th>Behaviour</th><th>Events</th>"
                           "<th>Evidence</th><th>Detail</th></tr></thead><tbody>",
                           esc(r.profile));
        for (const auto& f : r.violations_list)
            out += fmt::format("<tr class=\"violation\"><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td>"
                               "<td class=\"evidence\">{}:{} by {}</td><td>{}</td></tr>",
                               section_name(f.sec), esc(f.subject), f.count, esc(f.source), f.first_line, esc(f.chain),
                               esc(f.detail));
        out += "</tbody></table>";
    }
    out += "</section>";

    // Static and observed, then the static diff.
    out += "<section id=\"static\"><h2>Static and observed</h2>";
    if (!r.static_compared) {
        out += "<p class=\"muted\">The packages were not given (--old-package, --new-package): no static view.</p>";
    } else {
        out += fmt::format("<p>Packages <code>{}</code> &rarr; <code>{}</code>.</p>", esc(r.old_package), esc(r.new_package));
        if (r.join.empty())
            out += "<p>No syscall is new on either side.</p>";
        else {
            out += "<table id=\"join\"><thead><tr><th>Kind</th><th>Syscall</th><th>Binary</th><th>Static evidence</th>"
                   "<th>Observed events</th><th>Observed change</th></tr></thead><tbody>";
            for (const auto& j : r.join)
                out += fmt::format(
                    "<tr class=\"join {}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
                    "<td>{}</td></tr>",
                    j.kind, j.kind, esc(j.syscall), esc(j.binary), esc(j.static_evidence), j.observed,
                    !j.change_id.empty() ? fmt::format("<a href=\"#{}\">{}</a>", j.change_id, j.change_id)
                    : j.observed        ? "<span class=\"muted\">made, but no new behaviour came of it</span>"
                                        : "<span class=\"muted\">never observed: worth a test scenario</span>");
            out += "</tbody></table>";
        }
        out += "<h2>Static diff (scan --diff)</h2><table id=\"static-diff\"><thead><tr><th>Risk</th><th>Finding</th><th>Binary</th>"
               "<th>Subject</th><th>Detail</th><th>New capability</th></tr></thead><tbody>";
        for (const auto& f : r.static_diff.findings)
            out += fmt::format("<tr><td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td>"
                               "<td>{}</td><td>{}</td></tr>",
                               f.risk, esc(f.kind), esc(f.binary), esc(f.subject), esc(f.detail), f.new_capability ? "yes" : "");
        out += "</tbody></table>";
    }
    out += "</section>";

    // Timeline.
    out += "<section id=\"timeline\"><h2>Activity per family over time</h2><div id=\"timeline-charts\">";
    out += "<table class=\"fallback\"><thead><tr><th>Run</th><th>Family</th><th>Events</th></tr></thead><tbody>";
    for (const auto& t : r.timelines)
        for (std::size_t i = 0; i < t.families.size(); ++i) {
            std::uint64_t n = 0;
            for (auto c : t.counts[i])
                n += c;
            out += fmt::format("<tr><td>{} {}</td><td>{}</td><td class=\"num\">{}</td></tr>", t.side, esc(t.trace),
                               t.families[i], n);
        }
    out += "</tbody></table></div></section>";

    // Process tree.
    out += "<section id=\"process-tree\"><h2>Process tree (first new run)</h2>";
    if (r.processes.empty())
        out += "<p class=\"muted\">No process events.</p>";
    else {
        std::map<std::int64_t, std::size_t> by_pid;
        for (std::size_t i = 0; i < r.processes.size(); ++i)
            by_pid.emplace(r.processes[i].pid, i);
        std::multimap<std::int64_t, std::size_t> children;
        std::vector<std::size_t> tops;
        for (std::size_t i = 0; i < r.processes.size(); ++i) {
            const auto& p = r.processes[i];
            if (p.ppid != p.pid && by_pid.contains(p.ppid))
                children.emplace(p.ppid, i);
            else
                tops.push_back(i);
        }
        out += "<ul class=\"tree\">";
        for (auto i : tops)
            tree_html(out, r.processes, children, i, 0);
        out += "</ul>";
    }
    out += "</section></main>";

    out += "<script type=\"application/json\" id=\"dossier-data\">" + script_safe(review_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) +
           "</script>";
    auto d3 = read_file(GLASSBOX_D3_JS);
    if (!d3.empty())
        out += "<script>" + script_safe(std::move(d3)) + "</script>";
    else
        out += "<!-- d3 not found at " GLASSBOX_D3_JS " (Debian libjs-d3): the timeline stays a table -->";
    out += fmt::format("<script>{}</script></body></html>\n", kScript);
    return out;
}

} // namespace glassbox::analysis
