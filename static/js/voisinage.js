// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // A form that came back with errors: move the focus to its summary so it is read first.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
