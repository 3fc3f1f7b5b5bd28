// Character counts under limited text boxes: progressive enhancement only;
// the server checks the limit and keeps the whole text when it refuses it.
document.querySelectorAll("textarea[data-maxlength]").forEach(function (box) {
  var limit = parseInt(box.dataset.maxlength, 10);
  var count = document.createElement("p");
  count.className = "char-count";
  count.setAttribute("aria-live", "polite");
  box.insertAdjacentElement("afterend", count);
  function update() {
    var left = limit - box.value.length;
    count.textContent = left >= 0
      ? left.toLocaleString() + " characters left"
      : (-left).toLocaleString() + " characters over the limit of " + limit.toLocaleString();
    count.classList.toggle("over", left < 0);
  }
  box.addEventListener("input", update);
  update();
});
