(function () {
  "use strict";
  function bind(attr, rowAttr, extra) {
    var boxes = document.querySelectorAll("input[" + attr + "]");
    function apply() {
      var on = {};
      boxes.forEach(function (b) { on[b.value] = b.checked; });
      document.querySelectorAll("[" + rowAttr + "]").forEach(function (row) {
        var show = on[row.getAttribute(rowAttr)] === true && (!extra || extra(row));
        row.hidden = !show;
      });
    }
    boxes.forEach(function (b) { b.addEventListener("change", apply); });
    return apply;
  }
  var level = document.getElementById("filter-level");
  var applyVerdicts = bind("data-filter-verdict", "data-verdict", function (row) {
    var max = parseInt(level.value, 10);
    return !max || parseInt(row.getAttribute("data-level"), 10) <= max;
  });
  level.addEventListener("change", applyVerdicts);
  applyVerdicts();
  bind("data-filter-status", "data-status", null)();

  function reveal(id) {
    var el = document.getElementById(id);
    for (var node = el; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    if (el) { el.scrollIntoView(); }
  }
  document.querySelectorAll("a[data-open]").forEach(function (a) {
    a.addEventListener("click", function () { reveal(a.getAttribute("href").slice(1)); });
  });
  if (location.hash.length > 1) { reveal(decodeURIComponent(location.hash.slice(1))); }
  function setAll(open) {
    return function (ev) {
      ev.preventDefault();
      document.querySelectorAll("details").forEach(function (d) { d.open = open; });
    };
  }
  document.getElementById("expand-all").addEventListener("click", setAll(true));
  document.getElementById("collapse-all").addEventListener("click", setAll(false));
  // Printing shows everything; the details closed before printing close again after.
  var opened = null;
  window.addEventListener("beforeprint", function () {
    if (opened) { return; }
    opened = [];
    document.querySelectorAll("details").forEach(function (d) {
      if (!d.open) { opened.push(d); d.open = true; }
    });
  });
  window.addEventListener("afterprint", function () {
    if (!opened) { return; }
    opened.forEach(function (d) { d.open = false; });
    opened = null;
  });
})();
