/* "Use my location": the page's only script, and an optional one.
 * Without it the form works by ZIP or city. With it, the browser's own location is
 * rounded to two decimals (about 1 km) before it leaves the device, so neither the URL
 * nor any server log ever holds a precise place. */
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  if (!button || !("geolocation" in navigator)) { return; }
  var status = document.getElementById("locate-status");
  var form = button.form;
  button.hidden = false;
  function round(value) { return (Math.round(value * 100) / 100).toFixed(2); }
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-busy");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lat.value = round(position.coords.latitude);
      form.elements.lon.value = round(position.coords.longitude);
      // The point replaces any typed place; the server prefers a typed place.
      form.elements.near.value = "";
      form.submit();
    }, function () {
      status.textContent = button.getAttribute("data-failed");
      button.disabled = false;
    }, {enableHighAccuracy: false, timeout: 15000, maximumAge: 600000});
  });
}());
