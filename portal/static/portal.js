// Portal pages' behaviour, bound without inline handlers (the
// Content-Security-Policy forbids inline script).

// The report's "month or quarter" field only where the period has one: a
// yearly report has no number (a disabled input is not sent either).
function showPeriodNumber(form) {
  var kind = form.querySelector('select[name="kind"]');
  var group = form.querySelector(".period-number");
  if (!kind || !group) { return; }
  var hide = kind.value === group.getAttribute("data-hidden-for");
  group.hidden = hide;
  group.querySelectorAll("input").forEach(function (input) { input.disabled = hide; });
}

document.addEventListener("change", function (event) {
  if (event.target.matches('select[name="kind"]') && event.target.form) {
    showPeriodNumber(event.target.form);
  }
});
