// The form editor's live preview (web/templates/designer_form.html). Progressive: without this
// script the "Preview" button draws the preview on the server; with it, the preview is drawn
// again a moment after each change (the same request as the button, its answer's preview shown).
(function () {
  "use strict";
  var form = document.getElementById("form-editor");
  var preview = document.getElementById("form-preview");
  if (!form || !preview || !window.fetch || !window.FormData || !window.DOMParser) {
    return;
  }
  var timer = null;
  var running = null;

  function refresh() {
    var data = new FormData(form);
    data.set("action", "preview");
    if (running) {
      running.abort();
    }
    running = new AbortController();
    preview.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), {  // (form.action is the buttons named "action")
      method: "POST",
      body: data,
      credentials: "same-origin",
      signal: running.signal
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("form-preview");
        if (fresh) {
          preview.replaceChildren.apply(preview, Array.prototype.slice.call(fresh.childNodes));
        }
      })
      .catch(function () { /* the Preview button still works */ })
      .finally(function () { preview.removeAttribute("aria-busy"); });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 700);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
