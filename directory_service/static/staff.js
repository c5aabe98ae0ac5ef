/* Staff pages, progressively enhanced. Without this file every form still works (each
 * answers with a redirect back to its page, and a − / + tap with the page again showing
 * the changed number, nothing saved). With it: − / + change the number in place
 * (nothing is sent until Save), forms marked data-enhance are sent with fetch and the
 * page's main part is replaced by the answer (no reload), hold countdowns tick, a
 * coach's list of holds shows the facility's decision when it comes (no reload), and a
 * watch that fires shows on every open coach page (Server-Sent Events). */
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

  // My holds: while a hold waits for the facility, ask the holds page again and swap the
  // list in place when a state changed (confirmed, declined, expired, released).
  function pollHolds() {
    var list = document.getElementById("my-holds-list");
    if (!list || !list.querySelector(".hold-active")) { return; }
    fetch(list.getAttribute("data-poll"), { credentials: "same-origin",
                                            headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("my-holds-list");
        var states = fresh && fresh.getAttribute("data-states");
        if (!fresh || states === list.getAttribute("data-states")) { return; }
        var before = list.getAttribute("data-states");
        list.innerHTML = fresh.innerHTML;
        list.setAttribute("data-states", states);
        init(list);
        announce(list, before);
      })
      .catch(function () { /* offline for a moment: the next round asks again */ });
  }

  function announce(list, before) {
    var news = document.getElementById("holds-news");
    if (!news) { return; }
    var said = [];
    list.querySelectorAll("li.hold[id]").forEach(function (card) {
      var id = card.id.replace(/^hold-/, "");
      var state = (card.className.match(/hold-(\w+)/) || [])[1];
      if (before.indexOf(id + ":" + state + " ") === -1) {
        var name = card.querySelector(".hold-facility");
        var words = card.querySelector(".state");
        said.push((name ? name.textContent + ": " : "") + (words ? words.textContent : state));
      }
    });
    news.textContent = said.join(". ");
  }

  // A new key's Copy button: shown only here, where it can work; without JavaScript the
  // key stays selectable text.
  function copyButton(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var news = button.parentNode.querySelector(".copy-news");
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      function said(ok) {
        if (news) { news.textContent = news.getAttribute(ok ? "data-copied" : "data-not-copied"); }
      }
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { said(true); },
          function () { said(document.execCommand("copy")); });
      } else {
        said(document.execCommand("copy"));
      }
    });
  }

  function init(root) {
    root.querySelectorAll("button[data-step]").forEach(function (button) {
      button.addEventListener("click", function (event) { event.preventDefault(); step(button); });
    });
    root.querySelectorAll("button[data-copy]").forEach(copyButton);
    root.querySelectorAll("form[data-enhance]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        send(form, event.submitter);
      });
    });
    tick(root);
  }

  // My watches: a fired watch arrives as a Server-Sent Event and is added in place, and
  // #watch-news says it. The server ends each stream after a few minutes; EventSource
  // reconnects by itself with the last event id, so nothing is missed or shown twice.
  function listenWatches() {
    var list = document.getElementById("my-watches-list");
    if (!list || !window.EventSource) { return; }
    var url = list.getAttribute("data-events");
    var after = list.getAttribute("data-after");
    var source = new EventSource(url + (url.indexOf("?") === -1 ? "?" : "&") + "after=" + encodeURIComponent(after));
    source.addEventListener("fire", function (event) {
      var fire;
      try { fire = JSON.parse(event.data); } catch (e) { return; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      item.className = "fresh-fire";
      link.href = fire.url;
      link.textContent = fire.text;
      item.appendChild(link);
      var fires = document.querySelector("#watch-" + fire.watch_id + " .fires");
      if (fires) { fires.insertBefore(item, fires.firstChild); }
      var news = document.getElementById("watch-news");
      if (news) { news.textContent = fire.text; news.hidden = false; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    listenWatches();
    init(document);
    window.setInterval(function () { tick(document); }, 15000);
    var list = document.getElementById("my-holds-list");
    if (list) {
      var seconds = parseInt(list.getAttribute("data-poll-seconds"), 10) || 15;
      window.setInterval(pollHolds, seconds * 1000);
    }
  });
}());
