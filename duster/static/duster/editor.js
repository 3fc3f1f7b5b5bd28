// A formatting toolbar for chapter text boxes (textarea[data-editor]).
// Progressive enhancement only: it writes markup into the same text box, in
// the syntax of the text format chosen on the form (HTML tags, or Markdown),
// and hides itself for plain text. Without JavaScript the box is unchanged.
(function () {
  "use strict";

  var SHORTCUTS = { b: "bold", i: "italic", k: "link" };
  var MODIFIER = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘" : "Ctrl+";

  // --- Editing the box -------------------------------------------------------

  // Replaces value[start:end] with `text`, then selects text[from:to].
  // execCommand keeps the browser's undo history; setRangeText is the fallback.
  function replace(box, start, end, text, from, to) {
    box.focus();
    box.setSelectionRange(start, end);
    var done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch (e) {
      done = false;
    }
    if (!done || box.value.slice(start, start + text.length) !== text) {
      box.setRangeText(text, start, end, "end");
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
    box.setSelectionRange(start + from, start + to);
  }

  function selection(box) {
    return { start: box.selectionStart, end: box.selectionEnd, text: box.value.slice(box.selectionStart, box.selectionEnd) };
  }

  // The selection grown to whole lines.
  function lines(box) {
    var value = box.value;
    var start = box.selectionStart && value.lastIndexOf("\n", box.selectionStart - 1) + 1;
    var end = box.selectionEnd;
    if (end > start && value[end - 1] === "\n") end -= 1;
    var next = value.indexOf("\n", end);
    end = next === -1 ? value.length : next;
    return { start: start, end: end, text: value.slice(start, end) };
  }

  // Puts `before`/`after` around the selection, or takes them away when
  // they are already there (inside or just outside the selection).
  function toggleWrap(box, before, after) {
    var s = selection(box);
    var value = box.value;
    if (s.text.length >= before.length + after.length && s.text.indexOf(before) === 0 &&
        s.text.slice(-after.length) === after) {
      var inner = s.text.slice(before.length, s.text.length - after.length);
      return replace(box, s.start, s.end, inner, 0, inner.length);
    }
    if (s.start >= before.length && value.slice(s.start - before.length, s.start) === before &&
        value.slice(s.end, s.end + after.length) === after) {
      return replace(box, s.start - before.length, s.end + after.length, s.text, 0, s.text.length);
    }
    replace(box, s.start, s.end, before + s.text + after, before.length, before.length + s.text.length);
  }

  // Markdown emphasis: a run of one or three asterisks is italic, two or three bold.
  function toggleStars(box, stars) {
    var s = selection(box);
    var value = box.value;
    var run = 0;
    while (run < 3 && value[s.start - run - 1] === "*" && value[s.end + run] === "*") run += 1;
    var on = stars === 2 ? run >= 2 : run % 2 === 1;
    var mark = "**".slice(0, stars);
    if (on) replace(box, s.start - stars, s.end + stars, s.text, 0, s.text.length);
    else replace(box, s.start, s.end, mark + s.text + mark, stars, stars + s.text.length);
  }

  // Prefixes every line of the selection (numbered: "1. ", "2. "…), or takes
  // the prefixes away when every non-empty line has one already.
  function toggleLinePrefix(box, prefix, pattern, blankToo) {
    var l = lines(box);
    var rows = l.text.split("\n");
    var filled = rows.filter(function (row) { return row.trim(); });
    if (!filled.length) blankToo = true;  // an empty line: start the list or quote there
    var all = (blankToo ? rows : filled).every(function (row) { return pattern.test(row); });
    var number = 0;
    var out = rows.map(function (row) {
      if (all) return row.replace(pattern, "");
      if (!row.trim() && !blankToo) return row;
      number += 1;
      return (typeof prefix === "function" ? prefix(number) : prefix) + row;
    }).join("\n");
    // Lines of text stay selected (press again to undo); on an empty line, type after the mark.
    replace(box, l.start, l.end, out, filled.length ? 0 : out.length, out.length);
  }

  // Wraps whole lines in a block element, each on its own line.
  function wrapLines(box, open, close) {
    var l = lines(box);
    if (l.text.indexOf(open) === 0 && l.text.slice(-close.length) === close) {
      var inner = l.text.slice(open.length, l.text.length - close.length);
      return replace(box, l.start, l.end, inner, 0, inner.length);
    }
    replace(box, l.start, l.end, open + l.text + close, open.length, open.length + l.text.length);
  }

  function htmlList(box, tag) {
    var l = lines(box);
    var items = l.text.split("\n").filter(function (row) { return row.trim(); });
    if (!items.length) items = [""];
    var body = items.map(function (row) { return "<li>" + row.trim() + "</li>"; }).join("\n");
    var out = "<" + tag + ">\n" + body + "\n</" + tag + ">";
    var caret = out.indexOf("</li>");
    replace(box, l.start, l.end, out, items[0] ? out.length : caret, items[0] ? out.length : caret);
  }

  function link(box, format) {
    var s = selection(box);
    var isUrl = /^(https?:\/\/|mailto:)\S+$/.test(s.text.trim());
    var url = isUrl ? s.text.trim() : "https://";
    var label = isUrl ? "" : s.text;
    var out, from;
    if (format === "markdown") {
      out = "[" + label + "](" + url + ")";
      from = isUrl ? 1 : label.length + 3;
    } else {
      out = '<a href="' + url.replace(/"/g, "&quot;") + '">' + label + "</a>";
      from = isUrl ? out.length - 4 : 9;
    }
    // The part still to write is selected: the address, or the link text.
    var to = isUrl ? from : from + url.length;
    replace(box, s.start, s.end, out, from, to);
  }

  // After the line the cursor is on: a scene break never splits a paragraph.
  function sceneBreak(box, format) {
    var value = box.value;
    var at = lines(box).end;
    var mark = format === "markdown" ? "* * *" : "<hr>";
    // Markdown needs a blank line around it; HTML only a line of its own.
    var gap = format === "markdown" ? "\n\n" : "\n";
    var before = at === 0 ? "" : value[at - 1] === "\n" ? gap.slice(1) : gap;
    var out = before + mark + gap;
    replace(box, at, at, out, out.length, out.length);
  }

  function align(box, format, side) {
    var style = ' style="text-align:' + side + '"';
    var l = lines(box);
    if (format === "markdown") {
      // An HTML block around Markdown: blank lines keep the Markdown inside working.
      return wrapLines(box, "<div" + style + ">\n\n", "\n\n</div>");
    }
    var block = /<(p|div|h[1-6]|ul|ol|blockquote|table)\b/i.test(l.text) ? "div" : "p";
    wrapLines(box, "<" + block + style + ">", "</" + block + ">");
  }

  // --- The actions -----------------------------------------------------------

  var ACTIONS = [
    { name: "bold", label: "Bold", keys: "Control+B Meta+B", run: function (box, f) {
      return f === "markdown" ? toggleStars(box, 2) : toggleWrap(box, "<strong>", "</strong>"); } },
    { name: "italic", label: "Italic", keys: "Control+I Meta+I", run: function (box, f) {
      return f === "markdown" ? toggleStars(box, 1) : toggleWrap(box, "<em>", "</em>"); } },
    { name: "heading", label: "Heading", run: function (box, f) {
      return f === "markdown" ? toggleLinePrefix(box, "### ", /^#{1,6} /) : wrapLines(box, "<h3>", "</h3>"); } },
    { name: "list", label: "Bulleted list", run: function (box, f) {
      return f === "markdown" ? toggleLinePrefix(box, "- ", /^[-*+] /) : htmlList(box, "ul"); } },
    { name: "numbered", label: "Numbered list", run: function (box, f) {
      return f === "markdown"
        ? toggleLinePrefix(box, function (n) { return n + ". "; }, /^\d{1,9}\. /)
        : htmlList(box, "ol"); } },
    { name: "quote", label: "Quote", run: function (box, f) {
      return f === "markdown" ? toggleLinePrefix(box, "> ", /^> ?/, true)
        : wrapLines(box, "<blockquote>\n", "\n</blockquote>"); } },
    { name: "link", label: "Link", keys: "Control+K Meta+K", run: link },
    { name: "scene-break", label: "Scene break", run: sceneBreak },
    { name: "align-left", label: "Left", title: "Align left", run: function (box, f) { align(box, f, "left"); } },
    { name: "align-center", label: "Centre", run: function (box, f) { align(box, f, "center"); } },
    { name: "align-right", label: "Right", title: "Align right", run: function (box, f) { align(box, f, "right"); } }
  ];

  // --- The toolbar -----------------------------------------------------------

  function enhance(box, index) {
    var form = box.form;
    var named = form && form.querySelector("[name$='text_format']");
    // A select or a set of radio buttons: namedItem gives the chosen value of either.
    var formatField = named && form.elements.namedItem(named.name);
    var format = function () { return formatField ? formatField.value : "html"; };
    if (!box.id) box.id = "editor-box-" + index;

    var bar = document.createElement("div");
    bar.className = "editor-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-controls", box.id);
    var label = box.labels && box.labels[0] ? box.labels[0].textContent.trim() : "the text";
    bar.setAttribute("aria-label", "Formatting: " + label);
    var buttons = ACTIONS.map(function (action, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "editor-" + action.name;
      button.textContent = action.label;
      button.dataset.action = action.name;
      button.tabIndex = i === 0 ? 0 : -1;
      if (action.keys) {
        button.setAttribute("aria-keyshortcuts", action.keys);
        button.title = (action.title || action.label) + " (" + MODIFIER + action.keys.charAt(8) + ")";
      } else if (action.title) {
        button.title = action.title;
      }
      button.addEventListener("click", function () {
        action.run(box, format());
      });
      bar.appendChild(button);
      return button;
    });

    // One tab stop for the whole toolbar; arrow keys move along it.
    bar.addEventListener("keydown", function (event) {
      var current = buttons.indexOf(document.activeElement);
      if (current < 0) return;
      var next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: buttons.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      next = (next + buttons.length) % buttons.length;
      buttons[current].tabIndex = -1;
      buttons[next].tabIndex = 0;
      buttons[next].focus();
    });

    box.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      var name = SHORTCUTS[event.key.toLowerCase()];
      if (!name || bar.hidden) return;
      event.preventDefault();
      ACTIONS.filter(function (a) { return a.name === name; })[0].run(box, format());
    });

    function update() {
      // Plain text has no markup to insert.
      bar.hidden = format() === "text";
      bar.dataset.format = format();
    }
    if (named) form.addEventListener("change", function (event) {
      if (event.target.name === named.name) update();
    });
    update();
    box.classList.add("has-toolbar");
    box.parentNode.insertBefore(bar, box);
  }

  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-editor]"), enhance);
})();
