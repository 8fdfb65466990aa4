/* Polku: the progress of an event-log import in the background (event_log_job.html). Asks the
 * job's JSON every 1.5 s and moves the bar; the text under it comes translated from the server.
 * A screen reader hears the progress each time another tenth is done, not at every update.
 * When the job ends the page is loaded again and shows how it ended. Without a script the
 * page's own link does the same. */
(function () {
  'use strict';
  var box = document.querySelector('[data-import-progress]');
  if (!box) { return; }
  var url = box.getAttribute('data-import-progress');
  var bar = box.querySelector('progress');
  var text = box.querySelector('[data-import-text]');
  var announce = box.querySelector('[data-import-announce]');
  var tenth = bar && bar.hasAttribute('value') ? Math.floor(Number(bar.value) / 10) : 0;

  function show(job) {
    if (job.percent === null) {
      bar.removeAttribute('value');
      bar.textContent = '';
    } else {
      bar.value = job.percent;
      bar.textContent = job.percent + ' %';
      if (Math.floor(job.percent / 10) > tenth) {
        tenth = Math.floor(job.percent / 10);
        announce.textContent = job.text;
      }
    }
    text.textContent = job.text;
  }

  function poll() {
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (job) {
        if (job.state !== 'running') {
          window.location.assign(job.page);
          return;
        }
        show(job);
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
