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

// A person's list narrows to the people of the department chosen beside it
// (the handler after the handling department). The server checks the pair
// again; this only spares a refused submit.
function narrowPeople(select) {
  var form = select.form;
  var by = form && form.querySelector('select[name="' + select.getAttribute("data-narrow-by") + '"]');
  if (!by) { return; }
  var department = by.value;
  Array.prototype.forEach.call(select.options, function (option) {
    var fits = !option.value || !department || option.getAttribute("data-department") === department;
    option.hidden = !fits;
    option.disabled = !fits;
  });
  if (select.selectedOptions.length && select.selectedOptions[0].disabled) {
    select.value = "";
  }
}

function narrowAll() {
  document.querySelectorAll("select[data-narrow-by]").forEach(narrowPeople);
}

document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select")) {
    var form = event.target.form;
    if (form) { form.querySelectorAll("select[data-narrow-by]").forEach(narrowPeople); }
  }
});

// Tabs can be linked to (#tab-history) and a form that reloads the page
// comes back on the tab it was sent from.
function showTabOfHash() {
  var hash = window.location.hash;
  if (!hash || hash.indexOf("#tab-") !== 0 || !window.jQuery) { return; }
  var link = document.querySelector('a[data-toggle="tab"][href="' + hash + '"]');
  if (link) { window.jQuery(link).tab("show"); }
}

document.addEventListener("DOMContentLoaded", function () {
  narrowAll();
  showTabOfHash();
  if (window.jQuery) {
    window.jQuery(document).on("shown.bs.tab", 'a[data-toggle="tab"]', function (event) {
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", event.target.hash);
      }
    });
  }
});
window.addEventListener("hashchange", showTabOfHash);
