/* Staff pages, progressively enhanced. Without this file every form still works (each
 * answers with a redirect back to its page, and a − / + tap with the page again showing
 * the changed number, nothing saved). With it: − / + change the number in place
 * (nothing is sent until Save), forms marked data-enhance are sent with fetch and the
 * page's main part is replaced by the answer (no reload), and hold countdowns tick. */
(function () {
  "use strict";

  function step(button) {
    var input = document.getElementById(button.getAttribute("data-target"));
    if (!input) { return; }
    var value = parseInt(input.value, 10);
    value = Math.max(0, (isNaN(value) ? 0 : value) + parseInt(button.getAttribute("data-step"), 10));
    input.value = String(value);
    if (input.getAttribute("data-field") === "available") {
      // The field leaves held beds out; a row whose only empty beds are held stays open.
      var status = input.form.querySelector("[data-field=status]");
      var held = parseInt((input.form.querySelector("input[name=held]") || {}).value, 10) || 0;
      if (status && status.value !== "closed") { status.value = value + held > 0 ? "open" : "full"; }
    }
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function swap(html, anchor) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("staff-main");
    var here = document.getElementById("staff-main");
    if (!fresh || !here) { return false; }
    here.innerHTML = fresh.innerHTML;
    document.title = doc.title;
    init(here);
    var target = (anchor && document.getElementById(anchor)) || here;
    var notice = target.querySelector(".notice") || here.querySelector(".notice");
    if (notice) { notice.setAttribute("tabindex", "-1"); notice.focus(); }
    return true;
  }

  function send(form, submitter) {
    var data = new FormData(form, submitter);
    var section = form.closest("[id]");
    form.classList.add("busy");
    // form.action would be the button named "action": read the attribute itself.
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) { if (!swap(html, section && section.id)) { form.submit(); } })
      .catch(function () { form.classList.remove("busy"); HTMLFormElement.prototype.submit.call(form); });
  }

  function tick(root) {
    var now = Date.now();
    root.querySelectorAll(".countdown[data-expires]").forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.getAttribute("data-expires")) - now) / 60000));
      el.textContent = el.getAttribute("data-words").replace("{n}", String(left));
    });
  }

  function init(root) {
    root.querySelectorAll("button[data-step]").forEach(function (button) {
      button.addEventListener("click", function (event) { event.preventDefault(); step(button); });
    });
    root.querySelectorAll("form[data-enhance]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        send(form, event.submitter);
      });
    });
    tick(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    window.setInterval(function () { tick(document); }, 15000);
  });
}());
