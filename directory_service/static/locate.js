/* "Use my location": one of the page's two scripts (share.js is the other), both optional.
 * Without it the form works by ZIP or city. With it, the browser's own location is
 * rounded to two decimals (about 1 km) before it leaves the device, so neither the URL
 * nor any server log ever holds a precise place.
 * The button says what it is doing while the device looks, and keeps the need on screen:
 * with a need already chosen (a results page) it searches at once; on the empty page it
 * asks for the need next instead of listing everything near. */
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  if (!button || !("geolocation" in navigator)) { return; }
  var status = document.getElementById("locate-status");
  var form = button.form;
  var label = button.textContent;
  button.hidden = false;
  function round(value) { return (Math.round(value * 100) / 100).toFixed(2); }
  function done(message) {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
    status.textContent = message;
  }
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-busy");
    button.textContent = button.getAttribute("data-busy");
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lat.value = round(position.coords.latitude);
      form.elements.lon.value = round(position.coords.longitude);
      // The point replaces any typed place; the server prefers a typed place.
      form.elements.near.value = "";
      if (form.elements.need && form.elements.need.value) {
        form.submit();  // the need on screen, now near this point
        return;
      }
      done(button.getAttribute("data-found"));
      var first = form.querySelector(".quick-start");
      if (first) { first.focus(); }
    }, function () {
      done(button.getAttribute("data-failed"));
    }, {enableHighAccuracy: false, timeout: 15000, maximumAge: 600000});
  });
}());
