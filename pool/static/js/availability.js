/* Progressive enhancement for forms with rows (availability, languages): the "add a row" button
   adds an empty row in the page instead of sending the form. Without JavaScript the button sends
   the form and the server adds the row; nothing here is needed for the page to work. */
(function () {
  "use strict";

  function renumber(element, name, index) {
    var pattern = new RegExp("^" + name + "-\\d+-");
    var replacement = name + "-" + index + "-";
    ["name", "id", "for"].forEach(function (attribute) {
      var value = element.getAttribute(attribute);
      if (value) {
        element.setAttribute(attribute, value.replace(pattern, replacement));
      }
    });
    var described = element.getAttribute("aria-describedby");
    if (described) {
      var ids = described.split(/\s+/).filter(function (id) {
        return !/-error$/.test(id);
      }).map(function (id) {
        return id.replace(pattern, replacement);
      });
      if (ids.length) {
        element.setAttribute("aria-describedby", ids.join(" "));
      } else {
        element.removeAttribute("aria-describedby");
      }
    }
  }

  function nextIndex(list, name) {
    var pattern = new RegExp("^" + name + "-(\\d+)-");
    var highest = -1;
    list.querySelectorAll("[name]").forEach(function (element) {
      var match = pattern.exec(element.getAttribute("name"));
      if (match) {
        highest = Math.max(highest, parseInt(match[1], 10));
      }
    });
    return highest + 1;
  }

  function emptyCopy(row, name, index, number) {
    var copy = row.cloneNode(true);
    copy.querySelectorAll(".error-message").forEach(function (element) {
      element.remove();
    });
    copy.querySelectorAll(".field--error").forEach(function (element) {
      element.classList.remove("field--error");
    });
    copy.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
      var wrapper = box.closest(".field");
      if (wrapper) {
        wrapper.remove();
      }
    });
    copy.querySelectorAll("input, select, textarea").forEach(function (element) {
      element.removeAttribute("aria-invalid");
      if (element.tagName === "SELECT") {
        element.selectedIndex = 0;
        Array.prototype.forEach.call(element.options, function (option) {
          option.removeAttribute("selected");
        });
      } else {
        element.value = "";
        element.removeAttribute("value");
      }
    });
    copy.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (element) {
      renumber(element, name, index);
    });
    var label = copy.querySelector("[data-row-number]");
    if (label) {
      label.textContent = String(number);
    }
    return copy;
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var name = button.getAttribute("data-add-row");
    var list = document.querySelector('[data-rows="' + name + '"]');
    if (!list) {
      return;
    }
    var maximum = parseInt(list.getAttribute("data-max") || "0", 10);
    button.addEventListener("click", function (event) {
      var rows = list.querySelectorAll("[data-row]");
      if (!rows.length || (maximum && rows.length >= maximum)) {
        return; // let the server answer
      }
      event.preventDefault();
      var copy = emptyCopy(rows[rows.length - 1], name, nextIndex(list, name), rows.length + 1);
      list.appendChild(copy);
      var first = copy.querySelector("select, input, textarea");
      if (first) {
        first.focus();
      }
    });
  });

  // Enter in a text field sends the form with its first button, which is an "add" button here;
  // with the script running, Enter saves instead.
  document.querySelectorAll("form").forEach(function (form) {
    var main = form.querySelector("[data-default-submit]");
    if (!main || !form.querySelector("[data-add-row]")) {
      return;
    }
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      var skip = ["button", "submit", "checkbox", "radio", "reset"];
      if (event.key === "Enter" && target.tagName === "INPUT" && skip.indexOf(target.type) < 0) {
        event.preventDefault();
        main.click();
      }
    });
  });
})();
