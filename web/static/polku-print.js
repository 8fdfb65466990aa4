/* Polku: a "Print" button for pages that print well (the support plan). Without a script the
 * button stays hidden and the browser's own print command does the same. */
(function () {
  'use strict';
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
})();
