// As-you-type suggestions for tag fields (input[data-tag-suggest="<type>"]):
// progressive enhancement over a plain comma-separated text field. While the
// writer types a tag, a list below the field offers canonical tags of that
// type with their fandoms; Up/Down move, Enter or a click picks, Escape
// closes. Without JavaScript the field is typed as before.
(function () {
  "use strict";
  var script = document.currentScript;
  var URL_ = (script && script.dataset.url) || "/tags/autocomplete";
  var DELAY = 150;

  function lastPart(value) {
    var at = value.lastIndexOf(",");
    return { start: at + 1, text: value.slice(at + 1).trim() };
  }

  function enhance(input, n) {
    var type = input.dataset.tagSuggest;
    if (!type) return;
    var list = document.createElement("ul");
    list.id = (input.id || "tag-field-" + n) + "-suggestions";
    list.className = "tag-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var timer = null;
    var asked = "";
    var active = -1;
    var controller = null;

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      Array.prototype.forEach.call(options, function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    function pick(name) {
      var part = lastPart(input.value);
      var before = input.value.slice(0, part.start);
      input.value = before + (before ? " " : "") + name + ", ";
      close();
      input.focus();
    }

    function show(tags) {
      list.textContent = "";
      tags.forEach(function (tag, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = tag.name;
        if (tag.fandoms.length) {
          var fandoms = document.createElement("span");
          fandoms.className = "tag-fandoms";
          fandoms.textContent = " (" + tag.fandoms.join(", ") + ")";
          option.appendChild(fandoms);
        }
        // mousedown, not click: it comes before the field loses focus.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(tag.name);
        });
        list.appendChild(option);
      });
      list.hidden = !tags.length;
      input.setAttribute("aria-expanded", tags.length ? "true" : "false");
      active = -1;
    }

    function ask() {
      var text = lastPart(input.value).text;
      if (text === asked) return;
      asked = text;
      if (text.length < 2) {
        close();
        return;
      }
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var query = "?q=" + encodeURIComponent(text) + "&type=" + encodeURIComponent(type);
      fetch(URL_ + query, {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { tags: [] };
        })
        .then(function (data) {
          if (lastPart(input.value).text === text) show(data.tags || []);
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        mark(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        pick(list.querySelectorAll("[role=option]")[active].firstChild.textContent);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 100);
      asked = "";
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-tag-suggest]"), enhance);
})();
