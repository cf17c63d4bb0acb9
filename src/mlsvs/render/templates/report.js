(function () {
  "use strict";
  function bind(attr, rowAttr, extra) {
    var boxes = document.querySelectorAll("input[" + attr + "]");
    function apply() {
      var on = {};
      boxes.forEach(function (b) { on[b.value] = b.checked; });
      document.querySelectorAll("tr[" + rowAttr + "]").forEach(function (row) {
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
})();
