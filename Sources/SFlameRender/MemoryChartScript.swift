// SPDX-License-Identifier: Apache-2.0
//
// The script of a memory chart: moving the pointer over the plot shows a vertical line and, in
// a box beside it, the time and each series' value at the nearest reading. `chart.svg?t=SECONDS`
// shows the read-out at that time on load (a standalone chart only). It reads the data the
// writer put into `sflameMemData` just before it, keeps to its own <svg> (found through
// document.currentScript), defines no other globals, and sets data-ready="1" on the root when
// done, so headless tests can tell that it ran. The chart is complete without it.

/// The interactive script of a memory chart.
enum MemoryChartScript {
    /// JavaScript source; must never contain `]]>`, since it sits in a CDATA section.
    static let source: String = #"""
        (function (data) {
        "use strict";
        var script = document.currentScript;
        var root = script && script.ownerSVGElement;
        if (!root) {
          var pending = document.querySelectorAll("svg.sflame-mem:not([data-ready])");
          root = pending[pending.length - 1];
        }
        if (!root) return;
        var hover = root.querySelector("rect.hover"), cursor = root.querySelector("g.cursor");
        var line = cursor.querySelector("line"), box = cursor.querySelector("rect"), label = cursor.querySelector("text");
        var NS = "http://www.w3.org/2000/svg";
        function units(v) {
          var names = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
          while (Math.abs(v) >= 1024 && i < names.length - 1) { v /= 1024; i++; }
          return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + names[i];
        }
        function nearest(times, t) {
          var lo = 0, hi = times.length - 1;
          if (hi < 0) return -1;
          while (lo < hi) {
            var mid = (lo + hi) >> 1;
            if (times[mid] < t) lo = mid + 1; else hi = mid;
          }
          if (lo > 0 && Math.abs(times[lo - 1] - t) <= Math.abs(times[lo] - t)) lo--;
          return lo;
        }
        function show(evt) {
          var point = root.createSVGPoint();
          point.x = evt.clientX; point.y = evt.clientY;
          var local = point.matrixTransform(root.getScreenCTM().inverse());
          showAt((local.x - data.left) / data.width * data.end);
        }
        function showAt(t) {
          var lines = [];
          data.series.forEach(function (s) {
            var i = nearest(s.t, t);
            if (i >= 0) lines.push([s.label + ": " + units(s.v[i]), s.color, s.t[i]]);
          });
          if (!lines.length) return;
          var at = lines[0][2];
          var x = data.left + at / data.end * data.width;
          line.setAttribute("x1", x); line.setAttribute("x2", x);
          while (label.firstChild) label.removeChild(label.firstChild);
          var rows = [["t = " + at.toFixed(1) + " s", "#222"]].concat(lines);
          rows.forEach(function (row, k) {
            var span = document.createElementNS(NS, "tspan");
            span.setAttribute("x", 0); span.setAttribute("dy", k === 0 ? "1.1em" : "1.35em");
            span.setAttribute("style", "fill:" + row[1]);
            span.textContent = row[0];
            label.appendChild(span);
          });
          cursor.setAttribute("visibility", "visible");
          var bounds = label.getBBox(), width = bounds.width + 16, height = bounds.height + 10;
          var left = x + 12;
          if (left + width > data.left + data.width) left = x - 12 - width;
          var top = Number(hover.getAttribute("y")) + 8;
          box.setAttribute("x", left); box.setAttribute("y", top);
          box.setAttribute("width", width); box.setAttribute("height", height);
          label.setAttribute("transform", "translate(" + (left + 8) + "," + (top + 2) + ")");
          Array.prototype.forEach.call(label.childNodes, function (span) { span.setAttribute("x", 0); });
        }
        hover.addEventListener("mousemove", show);
        if (root === document.documentElement) {
          var at = new URLSearchParams(location.search).get("t");
          if (at !== null && isFinite(parseFloat(at))) showAt(parseFloat(at));
        }
        hover.addEventListener("mouseleave", function () { cursor.setAttribute("visibility", "hidden"); });
        root.setAttribute("data-ready", "1");
        })(sflameMemData);
        """#
}
