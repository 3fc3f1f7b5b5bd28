// Character counts under limited text boxes (textarea[data-maxlength]):
// progressive enhancement only; the server checks the limit and keeps the
// whole text when it refuses it. The count follows the server's arithmetic:
// a line break is sent as two characters (CR LF), an emoji is one.
(function () {
  "use strict";
  var PAIRS = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

  function length(value) {
    var breaks = value.match(/\n/g);
    var pairs = value.match(PAIRS);
    return value.length + (breaks ? breaks.length : 0) - (pairs ? pairs.length : 0);
  }

  function characters(n) {
    return n.toLocaleString() + (n === 1 ? " character" : " characters");
  }

  function describe(left, limit) {
    return left >= 0
      ? characters(left) + " left"
      : characters(-left) + " over the limit of " + limit.toLocaleString();
  }

  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-maxlength]"), function (box, i) {
    var limit = parseInt(box.dataset.maxlength, 10);
    if (!(limit > 0)) return;
    if (!box.id) box.id = "limited-box-" + i;
    // Seen at once; heard when the box is focused and, politely, after a pause in typing.
    var count = document.createElement("p");
    count.className = "char-count";
    count.id = box.id + "_count";
    var spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    count.setAttribute("aria-hidden", "true");
    box.insertAdjacentElement("afterend", spoken);
    box.insertAdjacentElement("afterend", count);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", (described ? described + " " : "") + count.id);

    function show() {
      var left = limit - length(box.value);
      count.textContent = describe(left, limit);
      count.classList.toggle("over", left < 0);
    }
    var frame = 0;
    var pause = 0;
    box.addEventListener("input", function () {
      if (frame) return;
      frame = requestAnimationFrame(function () {
        frame = 0;
        show();
        clearTimeout(pause);
        pause = setTimeout(function () { spoken.textContent = count.textContent; }, 1500);
      });
    });
    show();
  });
})();
