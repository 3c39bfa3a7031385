// SPDX-License-Identifier: Apache-2.0
//
// The script inside every flame graph SVG. It is written for this project (not taken from
// flamegraph.pl), runs in any current browser from file://, and keeps to its own <svg>: it finds
// its root through document.currentScript, reads its settings from the root's data-* attributes
// (data-cw: label character width, data-fw: width of the whole graph in px, data-nt: the
// details line prefix, data-inv: icicle layout), and defines no globals.
//
//   click a frame        zoom: the frame fills the width, its descendants scale with it, its
//                        ancestors stay (class "p", translucent), everything else hides ("h")
//   Reset Zoom / root    back to the whole graph
//   Search, Ctrl-F, F3   prompt for a regular expression; matching frames get class "m" (the
//                        search colour); "Matched: 75.0%" is the union of the matched frames'
//                        x-ranges over the whole width, so nested matches count once
//   ic, Ctrl-I           toggle case-insensitive search
//   ?s=REGEX&i=1&x=X&y=Y in the URL of a standalone graph: search, ignore case, zoom to the frame
//                        whose rectangle has that x and y; the URL follows the state
//   hover                the details line shows "Function: name (N samples, P%)"
//
// When done it sets data-ready="1" on the root, so headless tests can tell that it ran.

/// The interactive script of a flame graph.
enum FlameGraphScript {
    /// JavaScript source; must never contain `]]>`, since it sits in a CDATA section.
    static let source: String = #"""
        (function () {
        "use strict";
        var script = document.currentScript;
        var root = script && script.ownerSVGElement;
        if (!root) {
          var pending = document.querySelectorAll("svg.sflame:not([data-ready])");
          root = pending[pending.length - 1];
        }
        if (!root) return;
        var standalone = root === document.documentElement;
        function control(name) { return root.querySelector("text." + name); }
        var details = control("details"), unzoomBtn = control("unzoom"), searchBtn = control("search"),
            icBtn = control("ic"), matchedText = control("matched");
        var charWidth = parseFloat(root.getAttribute("data-cw")) || 7;
        var fullWidth = parseFloat(root.getAttribute("data-fw"));
        var nameType = root.getAttribute("data-nt") || "";
        var inverted = root.hasAttribute("data-inv");
        var EPS = 0.02;
        var frames = [], byGroup = new WeakMap();
        var groups = root.querySelectorAll("g.f");
        for (var i = 0; i < groups.length; i++) {
          var g = groups[i], r = g.querySelector("rect"), t = g.querySelector("text");
          var tip = g.querySelector("title").textContent;
          var f = { g: g, r: r, t: t, tip: tip, name: tip.slice(0, tip.lastIndexOf(" (")), label: t.textContent,
                    x: parseFloat(r.getAttribute("x")), y: parseFloat(r.getAttribute("y")),
                    w: parseFloat(r.getAttribute("width")) };
          frames.push(f);
          byGroup.set(g, f);
        }
        var xPad = frames.length ? frames[0].x : 10;
        var zoomed = null, term = null, ignoreCase = false;

        function frameOf(node) {
          for (; node && node !== root; node = node.parentNode) {
            var f = byGroup.get(node);
            if (f) return f;
          }
          return null;
        }
        function num(v) { return String(Math.round(v * 100) / 100); }
        function label(f, w) {
          var fits = Math.floor((w - 3) / charWidth);
          if (fits < 3) return "";
          return f.name.length <= fits ? f.name : f.name.slice(0, fits - 2) + "..";
        }
        function place(f, x, w, text) {
          f.r.setAttribute("x", num(x));
          f.r.setAttribute("width", num(w));
          f.t.setAttribute("x", num(x + 3));
          f.t.textContent = text;
        }
        function mark(f, cls) {
          f.g.classList.toggle("h", cls === "h");
          f.g.classList.toggle("p", cls === "p");
        }
        function zoom(z) {
          var scale = fullWidth / z.w;
          for (var i = 0; i < frames.length; i++) {
            var f = frames[i];
            var deeper = inverted ? f.y > z.y : f.y < z.y;
            var within = f.x >= z.x - EPS && f.x + f.w <= z.x + z.w + EPS;
            var covers = f.x <= z.x + EPS && f.x + f.w >= z.x + z.w - EPS;
            if (f === z || (deeper && within)) {
              var w = f.w * scale;
              place(f, xPad + (f.x - z.x) * scale, w, label(f, w));
              mark(f, "");
            } else if (!deeper && f.y !== z.y && covers) {
              place(f, xPad, fullWidth, label(f, fullWidth));
              mark(f, "p");
            } else {
              mark(f, "h");
            }
          }
          zoomed = z;
          unzoomBtn.classList.remove("h");
          saveState();
        }
        function unzoom() {
          for (var i = 0; i < frames.length; i++) {
            var f = frames[i];
            place(f, f.x, f.w, f.label);
            mark(f, "");
          }
          zoomed = null;
          unzoomBtn.classList.add("h");
          saveState();
        }
        function showMatched(text) {
          matchedText.textContent = text;
          matchedText.classList.remove("h");
        }
        function search(pattern) {
          var re;
          try {
            re = new RegExp(pattern, ignoreCase ? "i" : "");
          } catch (err) {
            showMatched("Invalid regular expression");
            return;
          }
          term = pattern;
          var hits = [];
          for (var i = 0; i < frames.length; i++) {
            var f = frames[i], hit = re.test(f.name);
            f.g.classList.toggle("m", hit);
            if (hit) hits.push(f);
          }
          // The union of the matched x-ranges: a match inside another match counts once.
          hits.sort(function (a, b) { return a.x - b.x || b.w - a.w; });
          var covered = 0, end = -Infinity;
          for (var j = 0; j < hits.length; j++) {
            var left = hits[j].x, right = hits[j].x + hits[j].w;
            if (right > end) {
              covered += right - Math.max(left, end);
              end = right;
            }
          }
          showMatched("Matched: " + (100 * covered / fullWidth).toFixed(1) + "%");
          searchBtn.textContent = "Reset Search";
          searchBtn.classList.add("on");
          saveState();
        }
        function resetSearch() {
          for (var i = 0; i < frames.length; i++) frames[i].g.classList.remove("m");
          term = null;
          matchedText.textContent = " ";
          matchedText.classList.add("h");
          searchBtn.textContent = "Search";
          searchBtn.classList.remove("on");
          saveState();
        }
        function searchPrompt() {
          if (term !== null) {
            resetSearch();
            return;
          }
          var pattern = window.prompt("Search for a regular expression (e.g. ^ext4_)" +
              (ignoreCase ? ", ignoring case" : "") + "; Ctrl-I toggles case", "");
          if (pattern) search(pattern);
        }
        function toggleIgnoreCase() {
          ignoreCase = !ignoreCase;
          icBtn.classList.toggle("on", ignoreCase);
          if (term !== null) search(term);
          else saveState();
        }
        function readState() {
          var params = {};
          var parts = window.location.search.slice(1).split("&");
          for (var i = 0; i < parts.length; i++) {
            var eq = parts[i].indexOf("=");
            if (eq <= 0) continue;
            try {
              params[decodeURIComponent(parts[i].slice(0, eq))] = decodeURIComponent(parts[i].slice(eq + 1));
            } catch (err) { /* a malformed escape: ignore that parameter */ }
          }
          return params;
        }
        function saveState() {
          if (!standalone) return;
          var query = [];
          if (term !== null) query.push("s=" + encodeURIComponent(term));
          if (ignoreCase) query.push("i=1");
          if (zoomed) query.push("x=" + num(zoomed.x), "y=" + num(zoomed.y));
          try {
            history.replaceState(null, "", query.length ? "?" + query.join("&") : window.location.pathname);
          } catch (err) { /* some viewers forbid history changes; the state just is not kept */ }
        }

        root.addEventListener("click", function (e) {
          var f = frameOf(e.target);
          if (f) {
            if (f === frames[0]) unzoom();
            else zoom(f);
          } else if (e.target === unzoomBtn) {
            unzoom();
          } else if (e.target === searchBtn) {
            searchPrompt();
          } else if (e.target === icBtn) {
            toggleIgnoreCase();
          }
        });
        root.addEventListener("mouseover", function (e) {
          var f = frameOf(e.target);
          if (f) details.textContent = nameType + " " + f.tip;
        });
        root.addEventListener("mouseout", function (e) {
          if (frameOf(e.target)) details.textContent = " ";
        });
        window.addEventListener("keydown", function (e) {
          if (!standalone && !root.matches(":hover")) return;
          var ctrl = e.ctrlKey || e.metaKey, key = e.key;
          if (key === "F3" || (ctrl && (key === "f" || key === "F"))) {
            e.preventDefault();
            searchPrompt();
          } else if (ctrl && (key === "i" || key === "I")) {
            e.preventDefault();
            toggleIgnoreCase();
          }
        });

        if (standalone) {
          var state = readState();
          if (state.i === "1") {
            ignoreCase = true;
            icBtn.classList.add("on");
          }
          if (state.x !== undefined && state.y !== undefined) {
            var zx = parseFloat(state.x), zy = parseFloat(state.y);
            for (var k = 0; k < frames.length; k++) {
              if (Math.abs(frames[k].x - zx) < 0.005 && frames[k].y === zy && k !== 0) {
                zoom(frames[k]);
                break;
              }
            }
          }
          if (state.s) search(state.s);
        }
        root.setAttribute("data-ready", "1");
        })();

        """#
}
