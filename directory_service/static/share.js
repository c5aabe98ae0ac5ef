/* "Send" a place to someone: the phone's own share sheet where it has one.
 * Without this script (or without navigator.share) each "Send" opens plain links: a text
 * message, an e-mail and the link itself to copy. Whatever way is used, only the place's
 * public page (/r/<id>) and its name are handed over: never the search or a location.
 * No third party is involved: the share sheet is the phone's, the links are the phone's
 * own apps. */
(function () {
  "use strict";
  var sends = document.querySelectorAll("details.send");
  Array.prototype.forEach.call(sends, function (send) {
    var url = send.getAttribute("data-share-url");
    var title = send.getAttribute("data-share-title");
    var status = send.querySelector(".send-status");
    if (navigator.share) {
      send.querySelector("summary").addEventListener("click", function (event) {
        event.preventDefault();
        navigator.share({title: title, text: title, url: url}).catch(function (error) {
          // Closed by the person: nothing to do. Refused by the phone: show the links.
          if (!error || error.name !== "AbortError") { send.open = true; }
        });
      });
    }
    var copy = send.querySelector(".send-copy");
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(url).then(function () {
          status.textContent = copy.getAttribute("data-done");
        }, function () {
          send.querySelector(".send-link").select();
        });
      });
    }
  });
}());
