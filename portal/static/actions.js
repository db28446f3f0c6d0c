// The back office's list actions ("With selected"), bound without inline
// handlers so that the Content-Security-Policy forbids inline script.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-model-action]");
  if (!link) return;
  event.preventDefault();
  window.modelActions.execute(link.getAttribute("data-model-action"));
});
