// The report form's one script (served from /static/, as the CSP requires).
// In the Mini App, Telegram passes its signed initData in the URL fragment
// (#tgWebAppData=…&tgWebAppVersion=…): it is posted to the server, which checks it.
// Telegram's own telegram-web-app.js is not needed. On the form, the unit's current
// report on the chosen task is shown under the list.
(function () {
  "use strict";
  var opener = document.getElementById("open-app");
  if (opener) {
    var data = new URLSearchParams(window.location.hash.slice(1)).get("tgWebAppData");
    if (!data) {
      var wait = document.getElementById("app-wait");
      wait.textContent = wait.getAttribute("data-missing");
      return;
    }
    opener.elements.init_data.value = data;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    opener.submit();
    return;
  }
  var task = document.getElementById("task");
  var shown = document.getElementById("previous");
  if (task && shown) {
    task.addEventListener("change", function () {
      var option = task.options[task.selectedIndex];
      shown.textContent = (option && option.getAttribute("data-previous")) || "";
    });
  }
})();
