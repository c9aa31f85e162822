// Progressive enhancement of the import's progress page: ask for the next chunk until the import
// is done, and show the progress. Without JavaScript the "Weiter importieren" button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-import-continue]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  var template = form.getAttribute("data-progress-template") || "";
  var tokenField = form.querySelector("input[name=csrf_token]");
  var failures = 0;
  var button = form.querySelector("button");

  function show(done, total) {
    if (bar) {
      bar.max = total;
      bar.value = done;
    }
    if (text && template) {
      text.textContent = template.replace("%(done)s", done).replace("%(total)s", total);
    }
  }

  function step() {
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "X-CSRFToken": tokenField ? tokenField.value : ""
      }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state.done, state.total);
        if (state.finished) {
          window.location.assign(state.url);
        } else {
          window.setTimeout(step, 50);
        }
      })
      .catch(function () {
        // Leave the button for a manual retry after a few failures.
        failures += 1;
        if (failures < 3) {
          window.setTimeout(step, 1000 * failures);
        } else if (button) {
          button.hidden = false;
        }
      });
  }

  if (button) {
    button.hidden = true;
  }
  window.setTimeout(step, 50);
})();
