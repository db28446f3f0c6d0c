// Back-office behaviour bound without inline handlers, so that the
// Content-Security-Policy forbids inline script: the list actions ("With
// selected") and the filter menu's items, which are plain "#" links.
document.addEventListener("click", function (event) {
  var action = event.target.closest("[data-model-action]");
  if (action) {
    event.preventDefault();
    window.modelActions.execute(action.getAttribute("data-model-action"));
    return;
  }
  if (event.target.closest("a.filter")) {
    event.preventDefault();
  }
});
